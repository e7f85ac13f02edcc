/** Reading torch.save checkpoints without executing them. */
export * from './torchCheckpoint.js';
export * from './torchCheckpointFile.js';
