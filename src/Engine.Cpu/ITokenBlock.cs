namespace LlmQueue.Engine.Cpu;

/// <summary>Compile-time token-row count of a <see cref="MatMulKernel"/> instantiation.</summary>
internal interface ITokenBlock
{
    /// <summary>True: 4 token rows per block; false: exactly one.</summary>
    static abstract bool IsBlock { get; }
}

internal readonly struct TokenBlock : ITokenBlock
{
    public static bool IsBlock => true;
}

internal readonly struct SingleToken : ITokenBlock
{
    public static bool IsBlock => false;
}
