using Amqp.Types;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>The vendor names the Service Bus SDK puts on the wire (annotations, filters, operations, errors).</summary>
internal static class ServiceBusNames
{
    public const string CbsNode = "$cbs";
    public const string ManagementNode = "$management";

    /// <summary>Message format of an SDK batch: each data section is one encoded message.</summary>
    public const uint BatchMessageFormat = 0x80013700;

    public static readonly Symbol SequenceNumber = new("x-opt-sequence-number");
    public static readonly Symbol EnqueuedTime = new("x-opt-enqueued-time");
    public static readonly Symbol LockedUntil = new("x-opt-locked-until");
    public static readonly Symbol ScheduledEnqueueTime = new("x-opt-scheduled-enqueue-time");

    public static readonly Symbol SessionFilter = new("com.microsoft:session-filter");
    public static readonly Symbol LockedUntilUtc = new("com.microsoft:locked-until-utc");
    public static readonly Symbol Timeout = new("com.microsoft:timeout");
}
