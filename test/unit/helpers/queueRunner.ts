// Runs one folder queue in a separate process until it has drained what is there, then prints
// its events as JSON on stdout. The tests use it to run the queue as another user (a file
// that root can always read cannot show the EACCES retries otherwise).
//
//   node out/test/unit/helpers/queueRunner.js '<FolderQueueOptions as JSON>'

import { FolderQueue, type FolderQueueOptions, type QueueEvent } from '../../../src/core/queue/folderQueue';

async function run(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as FolderQueueOptions;
  const queue = new FolderQueue({ ...options, watch: false });
  const events: QueueEvent[] = [];
  queue.on('event', (event) => events.push(event));
  try {
    await queue.start();
    await queue.drain();
  } finally {
    await queue.stop();
  }
  process.stdout.write(JSON.stringify(events));
}

if (require.main === module) {
  run().catch((error: unknown) => {
    process.stderr.write(`queueRunner: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
