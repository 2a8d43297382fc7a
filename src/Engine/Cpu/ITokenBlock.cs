namespace LlmQueue.Engine.Cpu;

/// <summary>Compile-time token-row count of a <see cref="MatMulKernel"/> instantiation.</summary>
internal interface ITokenBlock
{
    static abstract int Count { get; }
}

/// <summary>Decode of one sequence: no FMAs spent on repeated tokens.</summary>
internal readonly struct SingleToken : ITokenBlock
{
    public static int Count => 1;
}

internal readonly struct FourTokens : ITokenBlock
{
    public static int Count => 4;
}

/// <summary>4 rows x 6 tokens: 24 accumulators + 4 weights + 1 input fit the 32 AVX-512 registers.</summary>
internal readonly struct SixTokens : ITokenBlock
{
    public static int Count => 6;
}
