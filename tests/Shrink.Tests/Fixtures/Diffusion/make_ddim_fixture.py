# Makes ddim_first_steps.npy: the PyTorch DDIM-50 sampler's (train_tiny_ddpm.ddim_sample) first 3 steps on 2 fixed
# noise images, for DdimSamplerTests (the C# sampler must reproduce them within 1e-4 through ONNX Runtime).
# float32 [4, 2, 1, 28, 28]: [0] the initial noise x_T (torch.randn, seed 0), [k] x after step k (t = 980, 960, 940).
# Usage: /usr/bin/python3 make_ddim_fixture.py [BASELINES_DIR] [MODELS_DIR]   (defaults: ../shared/baselines, ../shared/models)
import os, sys
import numpy as np, torch
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, '..', '..', '..', '..'))
bdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, '..', 'shared', 'baselines')
mdir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, '..', 'shared', 'models')
sys.path.insert(0, bdir)
from train_tiny_ddpm import TinyUNet, ABAR, T

model = TinyUNet(); model.load_state_dict(torch.load(os.path.join(mdir, 'tiny_ddpm.pt'))); model.eval()
ts = list(range(0, T, T // 50))[::-1]
x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
out = [x.clone()]
with torch.no_grad():
    for i, t in enumerate(ts[:3]):  # the same update as ddim_sample
        ab = ABAR[t]; ab_prev = ABAR[ts[i + 1]]
        eps = model(x, torch.full((len(x),), t, dtype=torch.int64))
        x0 = ((x - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-1, 1)
        eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
        x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
        out.append(x.clone())
np.save(os.path.join(here, 'ddim_first_steps.npy'), torch.stack(out).numpy().astype(np.float32))
print('wrote', os.path.join(here, 'ddim_first_steps.npy'), [float((out[k + 1] - out[k]).abs().max()) for k in range(3)])
