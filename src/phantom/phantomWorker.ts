/**
 * Worker-thread side of {@link PhantomPool}: builds its own generator from the tissue map's bytes, then answers
 * each request with a generated case, handing the volumes' buffers over instead of copying them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseNifti } from '../io/nifti/index.js';
import { anatomyFromVolume } from './anatomy.js';
import { PhantomGenerator, type PhantomCase } from './generator.js';
import { phantomGrid } from './grid.js';
import type { PhantomJob, PhantomReply, PhantomWorkerData } from './phantomPool.js';

const { tissues, source, shape, spacing } = workerData as PhantomWorkerData;
const anatomy = anatomyFromVolume(parseNifti(tissues, source).volume, source);
const generator = new PhantomGenerator(anatomy, phantomGrid(anatomy, shape, spacing));

parentPort!.on('message', (job: PhantomJob) => {
  let reply: PhantomReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const phantom = generator.generate(job.seed, job.index, job.style, job.options);
    reply = { id: job.id, phantom };
    transfer = buffersOf(phantom);
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply, transfer);
});

function buffersOf(phantom: PhantomCase): ArrayBuffer[] {
  const volumes = [...Object.values(phantom.contrasts), phantom.seg, ...Object.values(phantom.fractions ?? {})];
  return volumes.flatMap((v) => (v ? [v.data.buffer as ArrayBuffer] : []));
}
