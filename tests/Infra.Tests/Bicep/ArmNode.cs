using System.Text.Json.Nodes;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>A node of an ARM template expression; <see cref="Text"/> is its source.</summary>
internal abstract record ArmNode(string Text)
{
    /// <summary>This node and every node inside it.</summary>
    public abstract IEnumerable<ArmNode> DescendantsAndSelf();

    /// <summary>Every function call in the expression.</summary>
    public IEnumerable<ArmCall> Calls() => DescendantsAndSelf().OfType<ArmCall>();
}

/// <summary>A string or number literal.</summary>
internal sealed record ArmLiteral(string Text, JsonValue Value) : ArmNode(Text)
{
    public override IEnumerable<ArmNode> DescendantsAndSelf() => [this];
}

/// <summary>function(arguments).</summary>
internal sealed record ArmCall(string Text, string Function, IReadOnlyList<ArmNode> Arguments) : ArmNode(Text)
{
    public override IEnumerable<ArmNode> DescendantsAndSelf() => [this, .. Arguments.SelectMany(argument => argument.DescendantsAndSelf())];
}

/// <summary>target.name</summary>
internal sealed record ArmProperty(string Text, ArmNode Target, string Name) : ArmNode(Text)
{
    public override IEnumerable<ArmNode> DescendantsAndSelf() => [this, .. Target.DescendantsAndSelf()];
}

/// <summary>target[index]</summary>
internal sealed record ArmIndex(string Text, ArmNode Target, ArmNode Index) : ArmNode(Text)
{
    public override IEnumerable<ArmNode> DescendantsAndSelf() => [this, .. Target.DescendantsAndSelf(), .. Index.DescendantsAndSelf()];
}
