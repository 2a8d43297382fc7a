namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>What decoding a remote KV value found; everything but <see cref="Ok"/> is a miss.</summary>
public enum KvBlockVerdict
{
    Ok,

    /// <summary>The MAC does not match: bytes changed, another key's value, or another deployment's secret.</summary>
    Tampered,

    /// <summary>Shorter than its header says.</summary>
    Truncated,

    /// <summary>Another format, or another version of this one.</summary>
    ForeignVersion,

    /// <summary>Authentic, but written by a runner with another page format (KV dtype or layout), e.g. a GPU replica's bf16 pages.</summary>
    ForeignFormat,

    /// <summary>Authentic and in the reader's format, but its shape is not what the reader's pool holds.</summary>
    WrongShape,
}
