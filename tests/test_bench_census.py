"""bench/reduction_census.py's count of HLO instructions by element type."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench"))

import reduction_census  # noqa: E402

HLO = """\
  %convolution.1 = bf16[1,64,64,8]{3,2,1,0} convolution(bf16[1,66,66,4] %p, bf16[3,3,4,8] %k)
  %dot.2 = f32[1,1]{1,0} dot(f32[1,32]{1,0} %u, f32[32,1]{1,0} %v), lhs_contracting_dims={1}
  %convert.3 = f32[1,64,64,8]{3,2,1,0} convert(bf16[1,64,64,8]{3,2,1,0} %convolution.1)
  ROOT %reduce.4 = f32[8]{0} reduce(f32[1,64,64,8] %convert.3, f32[] %z), dimensions={0,1,2}
  %dot.5 = bf16[2,16]{1,0} dot(bf16[2,16]{1,0} %a, bf16[16,16]{1,0} %b), lhs_contracting_dims={1}
"""


def test_element_types_count_each_kind_by_its_result_type():
    counts = reduction_census.element_types(HLO, ("convolution", "dot", "reduce"))
    assert counts == {("convolution", "bf16"): 1, ("dot", "f32"): 1, ("dot", "bf16"): 1,
                      ("reduce", "f32"): 1}
