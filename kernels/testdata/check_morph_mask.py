#!/usr/bin/python3
"""Checks the model that kernels/edt_morph_test.go's bruteMorph uses for scipy's mask against scipy itself:
binary_erosion/binary_dilation(a, structure, iterations, mask, border_value) equals, step by step,
where(mask, one step, current), repeated iterations times or until nothing changes. Prints "bad 0"."""
import numpy as np, scipy.ndimage as ndi
rng=np.random.default_rng(1)
bad=0
for t in range(3000):
    nd=2 if t%2 else 3
    shape=tuple(rng.integers(1,9,size=nd))
    a=rng.random(shape)<rng.random()
    m=rng.random(shape)<rng.random()
    conn=rng.integers(1,nd+1)
    st=ndi.generate_binary_structure(nd,conn)
    it=int(rng.choice([1,2,3,0,-1]))
    bv=int(rng.integers(0,2))
    for fn,er in ((ndi.binary_erosion,True),(ndi.binary_dilation,False)):
        got=fn(a,st,iterations=it,mask=m,border_value=bv)
        cur=a.copy(); k=0
        while True:
            nxt=ndi.binary_erosion(cur,st,border_value=bv) if er else ndi.binary_dilation(cur,st,border_value=bv)
            nxt=np.where(m,nxt,cur)
            same=(nxt==cur).all(); cur=nxt; k+=1
            if it>=1 and k>=it: break
            if it<1 and same: break
        if not (got==cur).all(): bad+=1
print("bad",bad)
