// mrsynth::blockwise_attention — softmax(q kᵀ · scale) v computed a block of query rows at a time, with a backward
// pass that recomputes each block's probabilities instead of keeping them.
//
// Why: self-attention over every voxel of a 3D feature map has tokens² scores. At the ALDM U-Net's 18×24×9 … 36×48×36
// latents that is 0.24 GB per head at 7,776 tokens; plain autograd keeps scores and probabilities of every attention
// block until backward (1.65× the reference's peak memory in a training step — the reference recomputes its attention
// blocks in backward). Here only q, k and v are kept; the forward and backward passes each hold one block of rows
// (`query_block` × keys) at a time, so the peak is that of the largest block rather than of the whole matrix.
//
// Registered with the dispatcher (schema below) so TypeScript calls it through the same generic operator path as any
// ATen operator; the kernel is CompositeImplicitAutograd and uses only ATen operators, so it runs on any device
// libtorch was built for. Softmax is taken in float32 for float16 and bfloat16 inputs (what guided-diffusion's attention
// does; more accurate than softmax in float16 for the latent-diffusion cross-attention).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

#include <algorithm>

namespace mrsynth {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The softmax's dtype: float32 for float16 and bfloat16 inputs, else the inputs' own.
at::ScalarType softmaxType(const at::Tensor& t) { return at::promote_types(t.scalar_type(), at::kFloat); }

// Softmax over keys of one block of query rows, in softmaxType: (B, rows, Tk).
at::Tensor blockProbabilities(const at::Tensor& queryRows, const at::Tensor& key, double scale) {
  at::Tensor scores = at::bmm(queryRows, key.transpose(1, 2));
  if (scale != 1.0) scores.mul_(scale);
  return at::softmax(scores, -1, softmaxType(key));
}

at::Tensor attentionForward(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value, double scale,
                            int64_t queryBlock) {
  const int64_t queries = query.size(1);
  at::Tensor output = at::empty({query.size(0), queries, value.size(2)}, value.options());
  for (int64_t start = 0; start < queries; start += queryBlock) {
    const int64_t rows = std::min(queryBlock, queries - start);
    at::Tensor probabilities = blockProbabilities(query.narrow(1, start, rows), key, scale).to(value.scalar_type());
    output.narrow(1, start, rows).copy_(at::bmm(probabilities, value));
  }
  return output;
}

struct BlockwiseAttention : public torch::autograd::Function<BlockwiseAttention> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& query, const at::Tensor& key,
                            const at::Tensor& value, double scale, int64_t queryBlock) {
    ctx->save_for_backward({query, key, value});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["queryBlock"] = queryBlock;
    return attentionForward(query, key, value, scale, queryBlock);
  }

  // Per block of query rows r, with P = softmax(S), S = q_r kᵀ · scale, O_r = P v:
  //   dv += Pᵀ dO_r,  dP = dO_r vᵀ,  dS = P ⊙ (dP − Σ_keys dP ⊙ P),  dq_r = dS k · scale,  dk += dSᵀ q_r · scale.
  // dk and dv are summed over blocks in the softmax's dtype so that half-precision blocks do not round each partial.
  static variable_list backward(AutogradContext* ctx, variable_list gradOutputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& query = saved[0];
    const at::Tensor& key = saved[1];
    const at::Tensor& value = saved[2];
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t queryBlock = ctx->saved_data["queryBlock"].toInt();
    const at::Tensor gradOutput = gradOutputs[0];
    const at::ScalarType dtype = value.scalar_type();
    const at::ScalarType accumulate = softmaxType(value);

    const int64_t queries = query.size(1);
    at::Tensor gradQuery = at::empty_like(query, at::MemoryFormat::Contiguous);
    at::Tensor gradKey = at::zeros(key.sizes(), key.options().dtype(accumulate));
    at::Tensor gradValue = at::zeros(value.sizes(), value.options().dtype(accumulate));
    for (int64_t start = 0; start < queries; start += queryBlock) {
      const int64_t rows = std::min(queryBlock, queries - start);
      const at::Tensor queryRows = query.narrow(1, start, rows);
      const at::Tensor gradRows = gradOutput.narrow(1, start, rows);
      const at::Tensor probabilities = blockProbabilities(queryRows, key, scale);
      const at::Tensor probabilitiesInDtype = probabilities.to(dtype);
      gradValue.add_(at::bmm(probabilitiesInDtype.transpose(1, 2), gradRows));
      const at::Tensor gradProbabilities = at::bmm(gradRows, value.transpose(1, 2)).to(accumulate);
      at::Tensor gradScores = at::_softmax_backward_data(gradProbabilities, probabilities, -1, accumulate).to(dtype);
      if (scale != 1.0) gradScores.mul_(scale);
      gradQuery.narrow(1, start, rows).copy_(at::bmm(gradScores, key));
      gradKey.add_(at::bmm(gradScores.transpose(1, 2), queryRows));
    }
    return {gradQuery, gradKey.to(dtype), gradValue.to(dtype), at::Tensor(), at::Tensor()};
  }
};

at::Tensor blockwiseAttention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value, double scale,
                              int64_t queryBlock) {
  TORCH_CHECK(query.dim() == 3 && key.dim() == 3 && value.dim() == 3,
              "blockwise_attention: query, key and value must be (batch, tokens, channels), got ", query.sizes(), ", ",
              key.sizes(), ", ", value.sizes());
  TORCH_CHECK(query.size(0) == key.size(0) && key.size(0) == value.size(0) && query.size(2) == key.size(2) &&
                  key.size(1) == value.size(1),
              "blockwise_attention: shapes do not agree: query ", query.sizes(), ", key ", key.sizes(), ", value ",
              value.sizes(), " (expected (B, Tq, d), (B, Tk, d), (B, Tk, dv))");
  TORCH_CHECK(query.scalar_type() == key.scalar_type() && key.scalar_type() == value.scalar_type(),
              "blockwise_attention: query, key and value must share a dtype");
  TORCH_CHECK(at::isFloatingType(query.scalar_type()), "blockwise_attention: needs floating-point tensors, got ",
              query.scalar_type());
  TORCH_CHECK(queryBlock > 0, "blockwise_attention: query_block must be positive, got ", queryBlock);
  return BlockwiseAttention::apply(query, key, value, scale, queryBlock);
}

}  // namespace
}  // namespace mrsynth

TORCH_LIBRARY(mrsynth, m) {
  m.def("blockwise_attention(Tensor query, Tensor key, Tensor value, float scale, int query_block) -> Tensor");
}

TORCH_LIBRARY_IMPL(mrsynth, CompositeImplicitAutograd, m) {
  m.impl("blockwise_attention", &mrsynth::blockwiseAttention);
}
