// CI's audit step reads npm's report: fails on high or critical runtime advisories, skips when the registry does not answer.
import assert from 'node:assert/strict';
import { auditVerdict } from '../../scripts/audit';

const report = (vulnerabilities: Record<string, { severity: string }>) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: Object.fromEntries(Object.entries(vulnerabilities).map(([name, v]) => [name, { name, ...v, fixAvailable: true }])),
    metadata: {
      vulnerabilities: {
        info: 0,
        low: 0,
        moderate: Object.values(vulnerabilities).filter((v) => v.severity === 'moderate').length,
        high: Object.values(vulnerabilities).filter((v) => v.severity === 'high').length,
        critical: Object.values(vulnerabilities).filter((v) => v.severity === 'critical').length,
        total: Object.keys(vulnerabilities).length,
      },
    },
  });

describe('CI audit verdict', () => {
  it('fails on a high or a critical advisory and names the package', () => {
    for (const severity of ['high', 'critical']) {
      const v = auditVerdict(report({ koa: { severity }, pino: { severity: 'low' } }));
      assert.equal(v.verdict, 'fail');
      assert.match(v.message, new RegExp(`koa: ${severity}`));
      assert.doesNotMatch(v.message, /pino/);
    }
  });

  it('passes with none, or with only lower ones', () => {
    assert.equal(auditVerdict(report({})).verdict, 'pass');
    const v = auditVerdict(report({ ms: { severity: 'moderate' } }));
    assert.equal(v.verdict, 'pass');
    assert.match(v.message, /1 lower/);
  });

  it('skips with a message when the registry does not answer (as npm prints it here), or prints nothing', () => {
    const refused = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
    });
    const v = auditVerdict(refused);
    assert.equal(v.verdict, 'skip');
    assert.match(v.message, /405 Method Not Allowed.*audit skipped/);
    assert.equal(auditVerdict(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to … failed' } })).verdict, 'skip');
    assert.equal(auditVerdict('').verdict, 'skip');
  });
});
