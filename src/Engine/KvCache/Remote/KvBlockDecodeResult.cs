namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>A decoded value: the verdict and, when <see cref="KvBlockVerdict.Ok"/>, the payload (a slice of the value, not a copy).</summary>
public readonly record struct KvBlockDecodeResult(KvBlockVerdict Verdict, ReadOnlyMemory<byte> Payload)
{
    public static KvBlockDecodeResult Rejected(KvBlockVerdict verdict) => new(verdict, ReadOnlyMemory<byte>.Empty);
}
