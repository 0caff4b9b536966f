const fs = require('fs'); const { SourceMapConsumer } = require('source-map');
const map = new SourceMapConsumer(JSON.parse(fs.readFileSync('/work/main/dist/bundle/index.js.map', 'utf8')));
const p = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const lo = Number(process.argv[3]), hi = Number(process.argv[4]);
const nodes = new Map(p.nodes.map((n) => [n.id, n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = new Map();
function lab(n) {
  if (label.has(n.id)) return label.get(n.id);
  const cf = n.callFrame; let l;
  if (cf.url.endsWith('dist/bundle/index.js')) {
    const o = map.originalPositionFor({ line: cf.lineNumber + 1, column: cf.columnNumber });
    const raw = o.source || '?'; const src = raw.startsWith('webpack://') ? 'nm:' + raw.slice(10) : raw.includes('node_modules/') ? raw.replace(/^.*node_modules\//, 'nm:') : raw.replace(/^.*\/src\//, 'src/');
    l = src.startsWith('nm:') ? src.split('/').slice(0, src.startsWith('nm:@') ? 2 : 1).join('/') : `${src}:${o.line}`;
  } else l = cf.url ? cf.url.replace(/^.*work\/main\//, '') : `(${cf.functionName})`;
  label.set(n.id, l); return l;
}
let t = p.startTime; const incl = new Map(); const self = new Map(); let total = 0;
p.samples.forEach((s, i) => {
  t += p.timeDeltas[i]; const sec = (t - p.startTime) / 1e6; if (sec < lo || sec >= hi) return;
  total++; const seen = new Set(); let id = s;
  self.set(lab(nodes.get(s)), (self.get(lab(nodes.get(s))) ?? 0) + 1);
  while (id !== undefined) { const l = lab(nodes.get(id)); if (!seen.has(l)) { seen.add(l); incl.set(l, (incl.get(l) ?? 0) + 1); } id = parent.get(id); }
});
const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([l, v]) => `${(100 * v / total).toFixed(1).padStart(5)}% ${l}`).join('\n');
console.log('samples', total); console.log('--- self\n' + top(self, 20)); console.log('--- inclusive, src only\n' + top(new Map([...incl].filter(([l]) => l.startsWith('src/'))), 40));
