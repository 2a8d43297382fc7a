namespace LlmQueue.Serving.Callbacks;

public enum CallbackResult
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>The receiver answered 410 Gone: it wants no more; delivery stops.</summary>
    Gone,

    /// <summary>The target is not allowed (scheme, private address): never tried again.</summary>
    Refused,

    /// <summary>Any other answer, a timeout or a network error: tried again later.</summary>
    Failed,
}

/// <summary>The result of one attempt and a short reason for logs.</summary>
public readonly record struct CallbackOutcome(CallbackResult Result, string Detail);
