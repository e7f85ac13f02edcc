/**
 * Writes tiny-keys.json: the state-dict keys and shapes of the cWDM `tiny` network, in state-dict order, for
 * make_checkpoints.py to build a checkpoint of exactly that layout.  node --import tsx dumpKeys.ts
 */
import { writeFileSync } from 'node:fs';
import { CwdmUNet, parseCwdmUNetConfig } from '../../src/models/wdm/index.js';

const model = new CwdmUNet(parseCwdmUNetConfig('tiny'));
const keys = model.namedParameters().map(([key, p]) => ({ key, shape: p.shape }));
writeFileSync(new URL('./tiny-keys.json', import.meta.url), `${JSON.stringify(keys)}\n`);
model.dispose();
