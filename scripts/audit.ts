// CI's dependency audit: `npm audit --omit=dev`; fails on a high or critical advisory in a runtime dependency, skips when the registry does not answer.
import { spawnSync } from 'node:child_process';

export interface AuditVerdict {
  verdict: 'pass' | 'fail' | 'skip';
  message: string;
}

interface AuditReport {
  vulnerabilities?: Record<string, { name: string; severity: string; via?: unknown[]; fixAvailable?: unknown }>;
  metadata?: { vulnerabilities?: Record<string, number> };
  message?: string;
  error?: { code?: string; summary?: string };
}

const BLOCKING = ['high', 'critical'];

/** Reads `npm audit --json` output: a report decides pass or fail; anything else means the audit could not run. */
export function auditVerdict(output: string): AuditVerdict {
  let report: AuditReport;
  try {
    report = JSON.parse(output) as AuditReport;
  } catch {
    return { verdict: 'skip', message: 'npm audit printed no report (the registry did not answer); audit skipped.' };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) {
    const why = report.error?.summary || report.error?.code || report.message || 'no report';
    return { verdict: 'skip', message: `npm audit could not reach an advisory database (${why.trim()}); audit skipped.` };
  }
  const blocking = Object.values(report.vulnerabilities ?? {}).filter((v) => BLOCKING.includes(v.severity));
  if (blocking.length > 0) {
    const lines = blocking.map(
      (v) => `  ${v.name}: ${v.severity}${v.fixAvailable ? ' (a fix is available: npm audit fix --omit=dev)' : ''}`,
    );
    return {
      verdict: 'fail',
      message: `npm audit: ${blocking.length} runtime dependencies with high or critical advisories:\n${lines.join('\n')}`,
    };
  }
  const total = Object.values(counts).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0) - (counts.total ?? 0);
  return { verdict: 'pass', message: `npm audit: no high or critical advisories in runtime dependencies (${total} lower ones).` };
}

if (require.main === module) {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const result = auditVerdict(run.stdout ?? '');
  process.stdout.write(`${result.message}\n`);
  process.exit(result.verdict === 'fail' ? 1 : 0);
}
