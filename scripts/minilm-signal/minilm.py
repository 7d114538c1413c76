"""Reference MiniLM (all-MiniLM-L6-v2) sentence embeddings in numpy: BERT WordPiece
tokenizer + 6-layer encoder + mean pooling + L2 normalisation."""
import json, struct, unicodedata, numpy as np, os
HERE = os.path.dirname(os.path.abspath(__file__))

def load_safetensors(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8+n]); base = 8+n; out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']
        if v['dtype'] != 'F32': continue
        out[k] = np.frombuffer(b[base+s:base+e], dtype=np.float32).reshape(v['shape'])
    return out

class Tokenizer:
    def __init__(self, path):
        t = json.load(open(path)); self.vocab = t['model']['vocab']
    @staticmethod
    def _punct(ch):
        cp = ord(ch)
        if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126: return True
        return unicodedata.category(ch).startswith('P')
    def basic(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xfffd or (unicodedata.category(ch).startswith('C') and ch not in '\t\n\r'): continue
            if ch in ' \t\n\r' or unicodedata.category(ch) == 'Zs': out.append(' '); continue
            if (0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or (0x20000 <= cp <= 0x2A6DF) or (0xF900 <= cp <= 0xFAFF):
                out.append(' ' + ch + ' '); continue
            out.append(ch)
        text = ''.join(out).lower()
        # BertNormalizer with strip_accents None and lowercase: strips accents too
        text = ''.join(c for c in unicodedata.normalize('NFD', text) if unicodedata.category(c) != 'Mn')
        words = []
        for w in text.split():
            cur = ''
            for ch in w:
                if self._punct(ch):
                    if cur: words.append(cur); cur = ''
                    words.append(ch)
                else: cur += ch
            if cur: words.append(cur)
        return words
    def wordpiece(self, w):
        if len(w) > 100: return ['[UNK]']
        out = []; start = 0
        while start < len(w):
            end = len(w); cur = None
            while start < end:
                sub = w[start:end]
                if start > 0: sub = '##' + sub
                if sub in self.vocab: cur = sub; break
                end -= 1
            if cur is None: return ['[UNK]']
            out.append(cur); start = end
        return out
    def encode(self, text, max_len=256):
        toks = [p for w in self.basic(text) for p in self.wordpiece(w)][:max_len-2]
        return [self.vocab['[CLS]']] + [self.vocab[t] for t in toks] + [self.vocab['[SEP]']]

class MiniLM:
    def __init__(self, folder=os.path.join(HERE, 'model')):
        self.w = load_safetensors(os.path.join(folder, 'model.safetensors'))
        self.tok = Tokenizer(os.path.join(folder, 'tokenizer.json'))
        self.prefix = '' if 'embeddings.word_embeddings.weight' in self.w else None
        if self.prefix is None:
            self.prefix = [k for k in self.w if k.endswith('embeddings.word_embeddings.weight')][0][:-len('embeddings.word_embeddings.weight')]
    def W(self, k): return self.w[self.prefix + k]
    @staticmethod
    def ln(x, g, b, eps=1e-12):
        m = x.mean(-1, keepdims=True); v = ((x-m)**2).mean(-1, keepdims=True)
        return (x-m)/np.sqrt(v+eps)*g + b
    def embed_one(self, ids):
        from math import erf
        n = len(ids)
        x = self.W('embeddings.word_embeddings.weight')[ids] + self.W('embeddings.position_embeddings.weight')[:n] + self.W('embeddings.token_type_embeddings.weight')[0]
        x = self.ln(x, self.W('embeddings.LayerNorm.weight'), self.W('embeddings.LayerNorm.bias'))
        for l in range(6):
            p = f'encoder.layer.{l}.'
            def lin(t, name): return t @ self.W(p+name+'.weight').T + self.W(p+name+'.bias')
            q = lin(x, 'attention.self.query').reshape(n, 12, 32).transpose(1, 0, 2)
            k = lin(x, 'attention.self.key').reshape(n, 12, 32).transpose(1, 0, 2)
            v = lin(x, 'attention.self.value').reshape(n, 12, 32).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / np.sqrt(32.0)
            s = s - s.max(-1, keepdims=True); a = np.exp(s); a /= a.sum(-1, keepdims=True)
            c = (a @ v).transpose(1, 0, 2).reshape(n, 384)
            x = self.ln(x + lin(c, 'attention.output.dense'), self.W(p+'attention.output.LayerNorm.weight'), self.W(p+'attention.output.LayerNorm.bias'))
            h = lin(x, 'intermediate.dense')
            h = 0.5 * h * (1 + np.vectorize(erf)(h / np.sqrt(2.0)))
            x = self.ln(x + lin(h, 'output.dense'), self.W(p+'output.LayerNorm.weight'), self.W(p+'output.LayerNorm.bias'))
        e = x.mean(0)
        return e / np.linalg.norm(e)
    def embed(self, texts): return np.stack([self.embed_one(self.tok.encode(t)) for t in texts])
