namespace Sage;

/// <summary>Output of one attention call.</summary>
/// <param name="Output">Attention output, same shape and layout as Q, in the requested element type.</param>
/// <param name="Lse">Natural-log log-sum-exp of each row's scaled scores, [batch, query heads, query length];
/// null unless the problem asked for it. Rows that see no key hold −∞.</param>
public sealed record AttentionResult(HostTensor Output, float[]? Lse);
