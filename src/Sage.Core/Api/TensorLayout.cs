namespace Sage;

/// <summary>Memory order of a Q, K, V or output tensor.</summary>
public enum TensorLayout
{
    /// <summary>[batch, heads, tokens, head_dim]: each head's tokens are contiguous.</summary>
    HND,

    /// <summary>[batch, tokens, heads, head_dim]: the layout most frameworks produce from a projection.</summary>
    NHD,
}
