#!/usr/bin/python3
"""Writes the NIfTI test fixtures of src/io/nifti and what nibabel reads back from each (expected.json).

Run from the repository root with Debian's Python (nibabel 5, numpy):
    /usr/bin/python3 test-fixtures/nifti/make_fixtures.py /work/shared/data
The argument is the shared data folder holding brats-sample/ and sri24/ (only needed for the real crops).
The synthetic images use a seeded generator, so running the script twice gives the same voxels.
"""
import gzip
import io
import json
import os
import sys

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240607)
SHAPE = (5, 4, 3)
EXPECTED = {}


def rotation(axis, degrees):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    t = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def affine_of(linear, offset):
    a = np.eye(4)
    a[:3, :3] = linear
    a[:3, 3] = offset
    return a


def record(name, full_data=True, samples=()):
    """Loads the written file with nibabel and stores what it sees, independently of our reader."""
    path = os.path.join(HERE, name)
    img = nib.load(path)
    hdr = img.header
    data = np.asarray(img.dataobj)
    # Scaling as nibabel applies it; float64 like nibabel, compared by the tests after rounding to float32.
    values = img.get_fdata(dtype=np.float64) if data.dtype.kind == 'f' or hdr.get_slope_inter()[0] is not None \
        else data.astype(np.float64)
    raw = open(path, 'rb').read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    sizeof_hdr = int(np.frombuffer(raw[:4], '<i4')[0])
    # The header as stored (a loaded image's header has vox_offset and scaling reset by nibabel).
    stored = type(hdr).from_fileobj(io.BytesIO(raw))
    entry = {
        'version': 2 if isinstance(img, nib.Nifti2Image) else 1,
        'little_endian': sizeof_hdr in (348, 540),
        'shape': list(img.shape),
        'zooms': [float(z) for z in hdr.get_zooms()[:3]],
        'affine': img.affine.tolist(),
        'axcodes': ''.join(nib.aff2axcodes(img.affine)),
        'qform_code': int(hdr['qform_code']),
        'sform_code': int(hdr['sform_code']),
        'qform': hdr.get_qform().tolist(),
        'quatern': [float(stored['quatern_b']), float(stored['quatern_c']), float(stored['quatern_d'])],
        'pixdim': [float(p) for p in stored['pixdim']],
        'datatype': str(hdr.get_data_dtype().newbyteorder('=')),
        'vox_offset': int(stored['vox_offset']),
        'xyzt_units': int(stored['xyzt_units']),
        'descrip': stored['descrip'].item().decode('latin1'),
        'scl_slope': float(stored['scl_slope']),
        'scl_inter': float(stored['scl_inter']),
        'sum': float(values.sum()),
    }
    if full_data:
        entry['data'] = values.reshape(-1, order='F').tolist()
    entry['samples'] = [[i, j, k, float(values[i, j, k, ...].item())] for (i, j, k) in samples]
    EXPECTED[name] = entry


def save(img, name, **kw):
    img.to_filename(os.path.join(HERE, name))
    record(name, **kw)


def raw_file(name, hdr, data, extra=b''):
    """Header, extension flag (and `extra`), then Fortran-ordered voxels: bytes exactly as chosen here."""
    bio = io.BytesIO()
    hdr.write_to(bio)
    head = bio.getvalue()[:348] + b'\0' * 4 + extra
    body = data.astype(hdr.get_data_dtype()).tobytes(order='F')
    assert len(head) == int(hdr['vox_offset'])
    blob = head + body
    if name.endswith('.gz'):
        blob = gzip.compress(blob, mtime=0)
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(blob)


def synthetic():
    base = affine_of(np.diag([2.0, 1.5, 3.0]), [-4.0, 5.0, 6.0])

    # Every datatype, with each integer type's extremes so range handling is exercised.
    for dtype in ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float32', 'float64']:
        dt = np.dtype(dtype)
        if dt.kind in 'iu':
            info = np.iinfo(dt)
            lo, hi = max(info.min, -10**6), min(info.max, 10**6)
            data = RNG.integers(lo, hi, SHAPE, endpoint=True).astype(dt)
            data.flat[0], data.flat[1] = info.min, info.max
        else:
            data = (RNG.standard_normal(SHAPE) * 1000).astype(dt)
        save(nib.Nifti1Image(data, base, dtype=dt), f'dtype-{dtype}.nii')

    # BraTS-style qform: 180 degrees about z (quatern a = 0, d = 1), no sform.
    img = nib.Nifti1Image(RNG.integers(-500, 500, SHAPE).astype(np.int16), None, dtype=np.int16)
    flip = affine_of(np.diag([-1.0, -1.0, 1.0]), [0.0, 239.0, 0.0])
    img.header.set_qform(flip, code=1)
    img.header.set_sform(None, code=0)
    save(img, 'qform-180.nii')
    assert img.header['quatern_d'] == 1 and img.header['quatern_b'] == 0

    # Oblique, anisotropic, left-handed (qfac = -1) qform only.
    oblique = affine_of(rotation([1, 2, 3], 25) @ np.diag([0.9, 1.2, -2.5]), [10.5, -20.25, 30.0])
    img = nib.Nifti1Image(RNG.standard_normal(SHAPE).astype(np.float32), None)
    img.header.set_qform(oblique, code=1)
    img.header.set_sform(None, code=0)
    save(img, 'qfac-negative.nii.gz')
    assert img.header['pixdim'][0] == -1

    # sform (MNI, sheared) and qform (scanner, another rotation) that disagree: the sform must win.
    sheared = affine_of(np.array([[1.0, 0.2, 0.0], [0.0, 1.1, 0.1], [0.05, 0.0, 0.9]]), [-90.0, -126.0, -72.0])
    img = nib.Nifti1Image(RNG.integers(0, 255, SHAPE).astype(np.uint8), None, dtype=np.uint8)
    img.header.set_qform(affine_of(rotation([0, 1, 0], 180), [1.0, 2.0, 3.0]), code=1)
    img.header.set_sform(sheared, code=4)
    save(img, 'sform-qform.nii')

    # No codes at all: nibabel's Analyze-style base affine from pixdim.
    img = nib.Nifti1Image(RNG.integers(0, 100, SHAPE).astype(np.int16), None, dtype=np.int16)
    img.header.set_zooms((2.0, 3.0, 4.0))
    img.header.set_qform(None, code=0)
    img.header.set_sform(None, code=0)
    save(img, 'no-codes.nii')

    # NIfTI-2, little- and big-endian.
    img = nib.Nifti2Image(RNG.standard_normal(SHAPE), affine_of(rotation([0, 0, 1], 90) @ np.diag([1, 1, 2.0]), [3.0, 2.0, 1.0]),
                          dtype=np.float64)
    img.header.set_qform(img.affine, code=1)
    save(img, 'nifti2.nii.gz')
    hdr = nib.Nifti2Header(endianness='>')
    img = nib.Nifti2Image(RNG.integers(-1000, 1000, SHAPE).astype(np.int32), oblique, header=hdr, dtype=np.int32)
    save(img, 'nifti2-big-endian.nii')
    assert not EXPECTED['nifti2-big-endian.nii']['little_endian']

    # NIfTI-1 big-endian.
    hdr = nib.Nifti1Header(endianness='>')
    img = nib.Nifti1Image(RNG.integers(-1000, 1000, SHAPE).astype(np.int16), flip, header=hdr, dtype=np.int16)
    save(img, 'big-endian.nii')
    assert not EXPECTED['big-endian.nii']['little_endian']

    # scl_slope / scl_inter written exactly as chosen (nibabel would recompute them from float data).
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(np.int16)
    hdr.set_data_shape(SHAPE)
    hdr.set_qform(base, code=1)
    hdr.set_sform(base, code=1)
    hdr['scl_slope'], hdr['scl_inter'], hdr['vox_offset'] = 0.5, -10.0, 352
    raw_file('scaled-int16.nii.gz', hdr, RNG.integers(-32768, 32767, SHAPE, endpoint=True))
    record('scaled-int16.nii.gz')

    # An extension (a comment) between header and data, so vox_offset > 352.
    img = nib.Nifti1Image(RNG.integers(0, 1000, SHAPE).astype(np.uint16), base, dtype=np.uint16)
    img.header.extensions.append(nib.nifti1.Nifti1Extension('comment', b'fixture extension: skip me, 32 bytes or so'))
    save(img, 'extension.nii')
    assert EXPECTED['extension.nii']['vox_offset'] > 352

    # 4D with a singleton 4th axis (as SRI24 is stored), and a real 4D the reader must refuse.
    save(nib.Nifti1Image(RNG.standard_normal(SHAPE + (1,)).astype(np.float32), base), 'singleton-4d.nii.gz')
    save(nib.Nifti1Image(RNG.standard_normal(SHAPE + (2,)).astype(np.float32), base), 'multi-volume.nii', full_data=False)


def crop(source, name, window):
    """A small window of a real image with its original header: codes, quaternion fields and units kept,
    only the dims and the offsets changed (nibabel's slicer computes the shifted affine)."""
    original = nib.load(source)
    cropped = original.slicer[window]
    hdr = original.header.copy()
    hdr.set_data_shape(cropped.shape)
    q_code, s_code = int(original.header['qform_code']), int(original.header['sform_code'])
    if q_code > 0:
        hdr.set_qform(cropped.affine, code=q_code)
    hdr.set_sform(cropped.affine, code=s_code)
    data = np.asarray(cropped.dataobj)
    img = nib.Nifti1Image(data, None, header=hdr)
    img.to_filename(os.path.join(HERE, name))
    written = nib.load(os.path.join(HERE, name))
    assert int(written.header['qform_code']) == q_code and int(written.header['sform_code']) == s_code, name
    assert written.get_data_dtype() == original.get_data_dtype(), name
    start = [s.start for s in window[:3]]
    assert np.allclose(written.affine, original.affine @ affine_of(np.eye(3), start)), name
    samples = [(0, 0, 0), (23, 19, 15), (12, 10, 8), (3, 17, 2), (20, 1, 11)]
    record(name, full_data=False, samples=samples)


def main():
    synthetic()
    if len(sys.argv) > 1:
        data = sys.argv[1]
        window = (slice(100, 124), slice(110, 130), slice(70, 86))
        for contrast in ['t1', 't1ce']:
            crop(os.path.join(data, 'brats-sample/TCGA-DU-7294', f'TCGA-DU-7294_{contrast}.nii.gz'),
                 f'TCGA-DU-7294_{contrast}-crop.nii.gz', window)
        crop(os.path.join(data, 'sri24/spgr.nii.gz'), 'sri24-spgr-crop.nii.gz', window + (slice(0, 1),))
    with open(os.path.join(HERE, 'expected.json'), 'w') as f:
        json.dump(EXPECTED, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main()
