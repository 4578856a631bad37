namespace Sage.Emulation.Planning;

/// <summary>Where a planning run stands, reported before each step (a reference or one candidate's emulation).</summary>
/// <param name="Layer">Index of the layer being planned.</param>
/// <param name="LayerCount">Layers in the run.</param>
/// <param name="LayerName">Name of the layer being planned.</param>
/// <param name="Step">"reference" or the candidate's name; "done" once the layer is decided.</param>
public readonly record struct PlanProgress(int Layer, int LayerCount, string LayerName, string Step);
