namespace LlmQueue.Models;

/// <summary>The rotary embedding of one layer type: base and optional scaling.</summary>
public sealed record RopeSpec(float Theta, RopeScaling? Scaling = null);
