#!/usr/bin/python3
"""Expected metric values for src/metrics tests, computed by scikit-image (the reference implementation).

Run with Debian's Python, which has scikit-image 0.19.3, SciPy 1.10 and NumPy 1.24:
    cd test-fixtures/metrics && /usr/bin/python3 make_expected.py
It writes expected.json. Volumes are built exactly as the TypeScript tests build them: `pattern` mirrors
pattern.ts bit for bit, and the real pair is the two int16 fixtures min-max normalised in float64 and stored
as float32. Everything is then handed to skimage as float64 (skimage keeps float32 input in float32).
Arrays are indexed [i, j, k] (NIfTI order); `.ravel(order="F")` gives the TypeScript layout, i fastest.
"""
import json

import nibabel as nib
import numpy as np
import skimage
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

M32 = 0xFFFFFFFF


def hash32(index, seed):
    h = (index * 0x9E3779B1 + seed) & M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def pattern(shape, seed, centre):
    nx, ny, nz = shape
    i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    scale = nx * nx + 2 * ny * ny + 3 * nz * nz
    bowl = ((i - centre[0]) ** 2 + 2 * (j - centre[1]) ** 2 + 3 * (k - centre[2]) ** 2) / scale
    index = i + nx * (j + ny * k)
    noise = np.vectorize(lambda v: hash32(int(v), seed) & 1023)(index) / 1024
    return (0.75 * (1 - bowl) + 0.25 * noise).astype(np.float32)


def ball(shape, centre, radius):
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return (i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2 <= radius * radius


def minmax(path):
    raw = np.asanyarray(nib.load(path).dataobj).astype(np.float64)
    return raw, ((raw - raw.min()) / (raw.max() - raw.min())).astype(np.float32)


def interior(shape, pad):
    keep = np.zeros(shape, dtype=bool)
    keep[pad:-pad, pad:-pad, pad:-pad] = True
    return keep


def gaussian_map(x, y, R):
    _, S = structural_similarity(x, y, data_range=R, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, full=True)
    return S


def errors(x, y, mask, R):
    d = x[mask] - y[mask]
    mse = float(np.mean(d * d))
    return {
        "mse": mse,
        "mae": float(np.mean(np.abs(d))),
        "psnr": float(10 * np.log10(R * R / mse)),
        "nmse": float(np.sum(d * d) / np.sum(y[mask] ** 2)),
    }


def case(x32, y32, regions, R=1.0, maps=False):
    x, y = x32.astype(np.float64), y32.astype(np.float64)
    S = gaussian_map(x, y, R)
    inner = interior(x.shape, 5)
    whole = np.ones(x.shape, dtype=bool)
    out = {
        "whole": {
            **errors(x, y, whole, R),
            # skimage's own whole-volume numbers, to check the error metrics against it as well.
            "skimage_mse": float(mean_squared_error(y, x)),
            "skimage_psnr": float(peak_signal_noise_ratio(y, x, data_range=R)),
            "ssim": float(structural_similarity(x, y, data_range=R, gaussian_weights=True, sigma=1.5,
                                                use_sample_covariance=False)),
            "ssim_gaussian_sample": float(structural_similarity(x, y, data_range=R, gaussian_weights=True,
                                                                sigma=1.5)),
            "ssim_uniform": float(structural_similarity(x, y, data_range=R)),
            "ssim_uniform_biased": float(structural_similarity(x, y, data_range=R, use_sample_covariance=False)),
        },
    }
    for name, mask in regions.items():
        masked = gaussian_map(x * mask, y * mask, R)
        out[name] = {
            **errors(x, y, mask, R),
            "ssim": float(S[mask & inner].mean()),
            "ssim_masked_first": float(masked[mask & inner].mean()),
        }
    if maps:
        _, U = structural_similarity(x, y, data_range=R, full=True)
        out["map_gaussian"] = S.ravel(order="F").tolist()
        out["map_uniform"] = U.ravel(order="F").tolist()
    return out


def main():
    odd = (23, 17, 31)
    tiny = (11, 12, 13)
    t1_raw, t1 = minmax("TCGA-DU-7294_t1.nii.gz")
    t2_raw, t2 = minmax("TCGA-DU-7294_t2.nii.gz")
    expected = {
        "generator": f"make_expected.py, scikit-image {skimage.__version__}, numpy {np.__version__}",
        "odd": case(pattern(odd, 1, (10, 8, 15)), pattern(odd, 2, (12, 7, 14)),
                    {"ball": ball(odd, (11, 8, 15), 6)}),
        "tiny": case(pattern(tiny, 3, (5, 6, 6)), pattern(tiny, 4, (6, 5, 7)),
                     {"ball": ball(tiny, (5, 5, 5), 1.5)}, maps=True),
        # t1 synthesised "as" t2: the brain mask is the nonzero reference, as the eval command builds it.
        "real": case(t1, t2, {"brain": t2_raw != 0, "ball": ball(t2.shape, (120, 120, 77), 30)}),
    }
    with open("expected.json", "w") as f:
        json.dump(expected, f)


main()
