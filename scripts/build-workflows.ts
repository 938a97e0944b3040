import { buildWorkflows } from './lib/build';

buildWorkflows({ force: true, log: console.log })
  .then((file) => console.log(`Workflow bundle written to ${file}`))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
