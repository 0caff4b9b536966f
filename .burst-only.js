// ad-hoc: run only the burst (not committed)
const { startPrivateAzurite } = require('./dist/dev/azurite.js');
const { runBurst } = require('./dist/dev/async/burst.js');
(async () => {
  const writes = Number(process.argv[2] || 1000);
  const applyTimeoutSeconds = Number(process.argv[3] || 30);
  const azurite = await startPrivateAzurite();
  try {
    const figures = await runBurst({ writes, hosts: 3, sendSeconds: 8 * writes / 1000, applyTimeoutSeconds }, azurite, (l) => console.log(l));
    console.log(JSON.stringify(figures));
  } finally { await azurite.stop(); }
  process.exit(0);
})();
