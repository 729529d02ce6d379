# PyTorch side of `Shrink.Bench training` (bench/RESULTS-training.md): the same batch, the same .pt weights, autograd.
# Usage (Debian's /usr/bin/python3 with python3-torch and python3-onnx):
#   torch_training.py batch MODEL MODELS BASELINES DIR N   writes the batch (DIR/batch.json + raw little-endian files)
#   torch_training.py grads MODEL MODELS BASELINES DIR     loss and parameter gradients on DIR's batch, one raw float32
#                                                          file per ONNX initializer that maps to a torch parameter
#   torch_training.py step  MODEL MODELS BASELINES DIR     a worker: reads "run K" lines, does K SGD-momentum steps
#                                                          (forward + backward + update) on DIR's batch, prints their times
#                                                          in ms as JSON; "rss" prints the peak RSS (VmHWM, KiB); "quit"
# The classifiers are built with BatchNorm folded into the convolutions (eval mode), as the ONNX exporter did, so the
# torch model computes the ONNX model's function and its parameters are the ONNX initializers. ONNX initializers are
# mapped to torch parameters by value (same shape, transposed 2-D, or the same elements in another shape, e.g. GroupNorm's
# affine as [C,1,1]); the mapping and each pair's largest weight difference are reported.
import json, math, os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

CLASSIFIERS = ('cnn_small', 'resnet8', 'vit_tiny')
FMNIST = '/usr/share/datasets/fashion-mnist'


def idx(name):
    import gzip
    with gzip.open(os.path.join(FMNIST, name)) as f: b = f.read()
    nd = int.from_bytes(b[0:4], 'big') & 0xff
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def import_from(baselines, module):
    sys.path.insert(0, baselines)
    cwd = os.getcwd(); os.chdir(baselines)
    try:
        return __import__(module)
    finally:
        os.chdir(cwd)


def model_classes(path):
    """The class definitions of a script, without running the rest of it (train_refmodels loads all of Fashion-MNIST
    as float tensors when imported, which would inflate the step worker's memory by hundreds of MiB)."""
    import ast
    tree = ast.parse(open(path).read(), path)
    tree.body = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    ns = {'torch': torch, 'nn': nn, 'F': F, 'np': np, 'math': math}
    exec(compile(tree, path, 'exec'), ns)
    return ns


def fold_batchnorm(model):
    """Fuses every BatchNorm2d into the Conv2d registered just before it (eval-mode statistics) and replaces it by Identity."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    last = None
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Conv2d):
            last = name
        elif isinstance(module, nn.BatchNorm2d):
            conv = model.get_submodule(last)
            if conv.bias is None:
                conv.bias = nn.Parameter(torch.zeros(conv.out_channels))
            fused = fuse_conv_bn_eval(conv.eval(), module.eval())
            cparent, _, cattr = last.rpartition('.'); bparent, _, battr = name.rpartition('.')
            setattr(model.get_submodule(cparent) if cparent else model, cattr, fused)
            setattr(model.get_submodule(bparent) if bparent else model, battr, nn.Identity())
            last = None
    return model


def build(name, models, baselines):
    """The torch model (eval mode) and a function (model, batch dict of tensors) -> loss."""
    sd = torch.load(os.path.join(models, name + '.pt'), map_location='cpu')
    if name in CLASSIFIERS:
        ref = model_classes(os.path.join(baselines, 'train_refmodels.py'))
        cls = {'cnn_small': ref['CnnSmall'], 'resnet8': ref['ResNet8'], 'vit_tiny': ref['VitTiny']}[name]
        m = cls(); m.load_state_dict(sd); m.eval(); fold_batchnorm(m)
        return m, lambda m, b: F.cross_entropy(m(b['input']), b['labels'])
    if name == 'tiny_gpt':
        lm = import_from(baselines, 'lm_common')
        m = lm.TinyGPT(); m.load_state_dict(sd); m.eval()
        return m, lambda m, b: F.cross_entropy(m(b['input_ids'])[0].reshape(-1, lm.VOCAB), b['labels'].reshape(-1))
    if name == 'tiny_mamba':
        mod = import_from(baselines, 'train_tiny_mamba')
        m = mod.TinyMamba(); m.load_state_dict(sd); m.eval()
        return m, lambda m, b: F.cross_entropy(m(b['input_ids']).reshape(-1, mod.VOCAB), b['labels'].reshape(-1))
    if name == 'tiny_ddpm':
        mod = import_from(baselines, 'train_tiny_ddpm')
        m = mod.TinyUNet(); m.load_state_dict(sd); m.eval()
        return m, lambda m, b: F.mse_loss(m(b['x'], b['t']), b['target'])
    raise SystemExit(f'unknown model {name}')


def save(folder, arrays):
    manifest = {}
    for k, a in arrays.items():
        a = np.ascontiguousarray(a)
        a.tofile(os.path.join(folder, k + '.bin'))
        manifest[k] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'file': k + '.bin'}
    json.dump(manifest, open(os.path.join(folder, 'batch.json'), 'w'))


def load(folder):
    manifest = json.load(open(os.path.join(folder, 'batch.json')))
    out = {}
    for k, v in manifest.items():
        a = np.fromfile(os.path.join(folder, v['file']), dtype=v['dtype']).reshape(v['shape'])
        out[k] = torch.from_numpy(a.copy())
    return out


def make_batch(name, models, folder, n):
    os.makedirs(folder, exist_ok=True)
    arrays = {}
    if name in CLASSIFIERS:
        x = idx('t10k-images-idx3-ubyte.gz')[:n].astype(np.float32)
        arrays['input'] = ((x / 255.0 - 0.2860) / 0.3530)[:, None, :, :].astype(np.float32)
        arrays['labels'] = idx('t10k-labels-idx1-ubyte.gz')[:n].astype(np.int64)
    elif name in ('tiny_gpt', 'tiny_mamba'):
        w = np.load(os.path.join(models, 'tiny_gpt.val.npy'))[:n].astype(np.int64)
        arrays['input_ids'] = w[:, :-1]; arrays['labels'] = w[:, 1:]
    elif name == 'tiny_ddpm':
        x0 = idx('t10k-images-idx3-ubyte.gz')[:n].astype(np.float32) / 127.5 - 1.0
        g = np.random.default_rng(0)
        t = np.linspace(0, 999, n).astype(np.int64)
        beta = np.linspace(1e-4, 0.02, 1000, dtype=np.float64); ab = np.cumprod(1 - beta)
        noise = g.standard_normal(x0.shape).astype(np.float32)
        xt = (np.sqrt(ab[t])[:, None, None] * x0 + np.sqrt(1 - ab[t])[:, None, None] * noise).astype(np.float32)
        arrays['x'] = xt[:, None]; arrays['t'] = t; arrays['target'] = noise[:, None]
    else:
        raise SystemExit(f'unknown model {name}')
    save(folder, arrays)


def onnx_initializers(path, names):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    # Every float initializer of two or more elements; one-element ones only under a torch parameter's name (tiny_ddpm's
    # cout.bias), so scalar constants of the graph are never taken for parameters.
    return [(i.name, numpy_helper.to_array(i)) for i in m.graph.initializer
            if i.data_type == 1 and (int(np.prod(i.dims)) > 1 or i.name in names)]


def map_parameters(model, initializers):
    """[(onnx name, torch name, how)] with how in same/transposed/reshaped, the largest |difference|, and unmatched lists."""
    params = {k: v.detach().numpy() for k, v in model.named_parameters()}
    used, pairs, unmatched = set(), [], []
    for oname, a in initializers:
        best = None
        for tname, p in params.items():
            if tname in used or p.size != a.size: continue
            for how, cand in (('same', p), ('transposed', p.T if p.ndim == 2 else None), ('reshaped', p.reshape(a.shape))):
                if cand is None or cand.shape != a.shape: continue
                d = float(np.abs(cand - a).max()); scale = float(np.abs(cand).max()) + 1e-12
                if d <= 1e-4 * scale and (best is None or d < best[3]): best = (oname, tname, how, d)
        if best is None: unmatched.append(oname)
        else: used.add(best[1]); pairs.append(best)
    return pairs, unmatched, [t for t in params if t not in used]


def grads(name, models, baselines, folder):
    m, loss_fn = build(name, models, baselines)
    torch.set_num_threads(1)  # after build: train_refmodels sets 2 threads when imported
    pairs, unmatched, torch_only = map_parameters(m, onnx_initializers(os.path.join(models, name + '.onnx'), dict(m.named_parameters())))
    b = load(folder)
    m.zero_grad()
    loss = loss_fn(m, b); loss.backward()
    named = dict(m.named_parameters())
    out = []
    for i, (oname, tname, how, d) in enumerate(pairs):
        g = named[tname].grad
        g = torch.zeros_like(named[tname]) if g is None else g
        g = g.detach().numpy()
        g = g.T if how == 'transposed' else g.reshape(-1)
        f = f'grad{i}.bin'
        np.ascontiguousarray(g, dtype=np.float32).tofile(os.path.join(folder, f))
        out.append({'onnx': oname, 'torch': tname, 'how': how, 'weight_diff': d, 'file': f})
    print(json.dumps({'loss': loss.item(), 'params': out, 'unmatched_onnx': unmatched, 'unmatched_torch': torch_only,
                      'torch': torch.__version__}))


def peak_rss_kib():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'): return int(line.split()[1])
    return None


def step_worker(name, models, baselines, folder, lr=0.01, momentum=0.9):
    m, loss_fn = build(name, models, baselines)
    torch.set_num_threads(1)  # after build: train_refmodels sets 2 threads when imported
    b = load(folder)
    params = [p for p in m.parameters()]
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum)
    print(json.dumps({'ready': True, 'threads': torch.get_num_threads(), 'rss_kib': peak_rss_kib()}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd: continue
        if cmd[0] == 'run':
            times = []
            for _ in range(int(cmd[1])):
                t0 = time.perf_counter()
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(m, b); loss.backward(); opt.step()
                times.append((time.perf_counter() - t0) * 1e3)
            print(json.dumps({'ms': times, 'loss': loss.item()}), flush=True)
        elif cmd[0] == 'rss':
            print(json.dumps({'rss_kib': peak_rss_kib()}), flush=True)
        elif cmd[0] == 'quit':
            break


if __name__ == '__main__':
    mode, name, models, baselines, folder = sys.argv[1:6]
    if mode == 'batch': make_batch(name, models, folder, int(sys.argv[6]))
    elif mode == 'grads': grads(name, models, baselines, folder)
    elif mode == 'step': step_worker(name, models, baselines, folder)
    else: raise SystemExit(f'unknown mode {mode}')
