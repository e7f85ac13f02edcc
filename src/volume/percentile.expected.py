# Produces the expected values in percentile.test.ts (run with Debian's /usr/bin/python3, NumPy 1.24).
# The data are built from integers so that TypeScript builds bit-identical float32 values.
import numpy as np

def data(n):
    i = np.arange(n)
    v = ((i * 7919) % 1009) / 7.0 - 30.0
    v[i % 5 == 0] = 0.0
    return v.astype(np.float32)

ps = [0, 0.1, 0.5, 1, 25, 50, 73.3, 99.5, 99.9, 100]
for n in (1, 2, 1000, 12345):
    print(n, [repr(float(x)) for x in np.percentile(data(n).astype(np.float64), ps)])
