/**
 * ALDM's first stage as the sampler sees it (spec §2): an image goes to its quantised latent (encoder, quant_conv, the
 * nearest codes, straight through) and a latent back to an image (post_quant_conv, decoder; a sampler's latent is
 * decoded as it is, unquantised, as the reference decodes it). Four times smaller on each axis for the code configs.
 */
import type { LatentCodec } from '../../codecs/index.js';
import { autoencoderSpatialMultiple, type VQModel } from '../../models/aldm/index.js';
import { dispose, tidy, type Tensor } from '../../tensor/index.js';
import { assert, fmtShape } from '../../util/index.js';

/**
 * The codec over `vqgan`, for images whose axes divide by `multiple` (the autoencoder's and the U-Net's halvings
 * together), its latents the quantised ones times `latentScale`.
 */
export function aldmCodec(vqgan: VQModel, multiple: number, latentScale = 1): LatentCodec {
  const reduction = autoencoderSpatialMultiple(vqgan.config);
  const { zChannels } = vqgan.config;
  return {
    description: `VQ-GAN (${vqgan.config.nEmbed} codes of ${zChannels}), ${reduction}× smaller per axis`,
    scaleFactor: latentScale,
    latentShape(imageShape) {
      this.checkImageShape(imageShape);
      return [imageShape[0], zChannels, ...imageShape.slice(2).map((n) => n / reduction)];
    },
    checkImageShape(imageShape) {
      assert(imageShape.length === 5 && imageShape.slice(2).every((n) => n % multiple === 0), () =>
        `ALDM: an image must be (N, C, X, Y, Z) with every axis a multiple of ${multiple} (the autoencoder halves ${Math.log2(reduction)} `
        + `and the U-Net ${Math.log2(multiple / reduction)} times), got ${fmtShape(imageShape)}; pad the brain's box to multiples `
        + `of ${multiple} (preprocessing aldm-brainbox does)`);
    },
    encode(image: Tensor): Tensor {
      this.checkImageShape(image.shape);
      return tidy(() => {
        const { zQ, loss, indices } = vqgan.encode(image.dtype === vqgan.dtype ? image : image.to(vqgan.dtype));
        dispose([loss, indices]);
        const scaled = latentScale === 1 ? zQ : zQ.mul(latentScale);
        return scaled.dtype === image.dtype ? scaled : scaled.to(image.dtype);
      });
    },
    decode(latent: Tensor): Tensor {
      return tidy(() => {
        const unscaled = latentScale === 1 ? latent : latent.div(latentScale);
        const image = vqgan.decode(unscaled.dtype === vqgan.dtype ? unscaled : unscaled.to(vqgan.dtype));
        return image.dtype === latent.dtype ? image : image.to(latent.dtype);
      });
    },
    networks: Object.freeze({ autoencoder: vqgan }),
  };
}
