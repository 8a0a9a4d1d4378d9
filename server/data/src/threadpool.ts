// Imported first by main.ts: a batch commit fsyncs many files at once, and libuv's default pool of 4 threads would queue them.
process.env.UV_THREADPOOL_SIZE ??= '32';
