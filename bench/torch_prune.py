# PyTorch's own pruning on the reference models, for bench/RESULTS-prune.md, run side by side with Shrink:
# global unstructured L1 (torch.nn.utils.prune.global_unstructured) at 50/70/90 %, and 30 % of filters per conv zeroed
# by L1 norm (prune.ln_structured), no fine-tuning, plus the resnet8 fp32 latency at batch 64 with 1 and 2 threads.
# Usage: /usr/bin/python3 bench/torch_prune.py MODELDIR  (prints one JSON line; needs ../shared/baselines beside the repo)
import copy, json, os, sys, time
import torch, torch.nn as nn
import torch.nn.utils.prune as prune
MODELS = sys.argv[1]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(MODELS)), 'baselines'))
from train_refmodels import CnnSmall, ResNet8, VitTiny, xte, yte  # noqa: E402  (Fashion-MNIST test tensors, model classes)

def acc(m, bs=1000):
    m.eval(); c = 0
    with torch.no_grad():
        for i in range(0, len(xte), bs): c += (m(xte[i:i + bs]).argmax(1) == yte[i:i + bs]).sum().item()
    return c / len(xte)

torch.set_num_threads(2)
res = {}
for name, mk in [('cnn_small', CnnSmall), ('resnet8', ResNet8), ('vit_tiny', VitTiny)]:
    m = mk(); m.load_state_dict(torch.load(os.path.join(MODELS, name + '.pt'))); m.eval()
    r = {'fp32': acc(m)}
    for sp in (0.5, 0.7, 0.9):
        pm = copy.deepcopy(m)
        params = [(mod, 'weight') for mod in pm.modules() if isinstance(mod, (nn.Conv2d, nn.Linear))]
        prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=sp)
        r[f'global_l1_{int(sp * 100)}'] = acc(pm)
    pm = copy.deepcopy(m)
    n = 0
    for mod in pm.modules():
        if isinstance(mod, nn.Conv2d) and mod.out_channels > 1 and mod.in_channels > 1:
            prune.ln_structured(mod, 'weight', amount=0.3, n=1, dim=0); n += 1
    r['filters_l1_30'] = acc(pm) if n else None
    res[name] = r
print(json.dumps(res))
