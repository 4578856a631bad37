namespace Sage.Cli.TensorCores;

/// <summary>One line of `sage tc dot` input: D = a·b + c for one tensor-core output element.</summary>
public sealed record DotCase(int Line, float[] A, float[] B, float C);
