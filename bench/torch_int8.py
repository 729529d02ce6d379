# PyTorch's own int8 post-training quantization on the reference models, for bench/ to show beside Shrink's figures.
# Usage: /usr/bin/python3 bench/torch_int8.py MODELDIR   (Debian python3-torch 1.13 with libopenblas0-pthread)
# Prints one JSON object: per model fp32/int8 accuracy on the 10k test set, prepare+calibrate+convert seconds
# (512 training images), and median latency at batch 1 and 64 with 1 and 2 threads.
import copy, json, os, sys, time
import numpy as np, torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), 'baselines'))
from train_refmodels import *  # noqa: F401,F403  (Fashion-MNIST tensors xtr, xte, yte and the model classes)
from torch.ao.quantization import get_default_qconfig_mapping, quantize_dynamic
from torch.ao.quantization.quantize_fx import prepare_fx, convert_fx

ENGINE = 'onednn' if 'onednn' in torch.backends.quantized.supported_engines else 'fbgemm'
torch.backends.quantized.engine = ENGINE


def accuracy(m, bs=1000):
    m.eval(); c = 0
    with torch.no_grad():
        for i in range(0, len(xte), bs): c += (m(xte[i:i + bs]).argmax(1) == yte[i:i + bs]).sum().item()
    return c / len(xte)


def latency(m, bs, reps):
    x = xte[:bs]
    with torch.no_grad():
        for _ in range(5): m(x)
        ts = []
        for _ in range(reps): t = time.perf_counter(); m(x); ts.append(time.perf_counter() - t)
    return float(np.median(ts)) * 1000


def quantize(name, m):
    if name == 'vit_tiny':
        return quantize_dynamic(copy.deepcopy(m), {nn.Linear}, dtype=torch.qint8), 'dynamic Linear'
    p = prepare_fx(copy.deepcopy(m), get_default_qconfig_mapping(ENGINE), (xte[:1],))
    with torch.no_grad():
        for i in range(0, 512, 64): p(xtr[i:i + 64])
    return convert_fx(p), f'static FX {ENGINE}'


out = {'engine': ENGINE, 'torch': torch.__version__}
D = sys.argv[1]
for name, make in [('cnn_small', CnnSmall), ('resnet8', ResNet8), ('vit_tiny', VitTiny)]:
    m = make(); m.load_state_dict(torch.load(os.path.join(D, name + '.pt'))); m.eval()
    times, q, mode = [], None, None
    for _ in range(3):
        t = time.perf_counter(); q, mode = quantize(name, m); times.append(time.perf_counter() - t)
    r = {'mode': mode, 'fp32_acc': accuracy(m), 'int8_acc': accuracy(q), 'quantize_s': float(np.median(times))}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for bs, reps in ((1, 200), (64, 40)):
            r[f'lat_ms_t{threads}_b{bs}'] = {'fp32': latency(m, bs, reps), 'int8': latency(q, bs, reps)}
    out[name] = r
print(json.dumps(out))
