// Keeps V8's young generation at its starting size in the long-running daemon, so its resident memory stays small (W6).
import v8 from 'node:v8';

/**
 * V8 doubles the young generation's semi-spaces (up to 16 MiB each, 32 MiB resident) while a pass
 * allocates fast, and keeps them long after. Measured on a restart over 100,000 files: resident memory
 * 167-200 MB → 129-152 MB, the pass's time unchanged (1.15-1.2 s). `--max-semi-space-size` cannot be
 * changed once the heap exists, but the growth factor is read at each growth, so 1 means "never grow".
 * Only the daemon does this: the VS Code extension shares its host's heap and leaves its flags alone.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
