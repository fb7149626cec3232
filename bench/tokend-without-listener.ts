// `tokend serve` without the change listener, for the benchmark only: it shows how long another
// instance's change takes to be honoured when notifications are lost, i.e. the cache-lifetime bound.
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';

const running = await startServer(loadConfig(), { notifications: false });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void running.stop().then(() => process.exit(0));
  });
}
