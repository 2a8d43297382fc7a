using System.Net;
using System.Net.Sockets;

namespace LlmQueue.Serving.Callbacks;

/// <summary>
/// Which addresses a callback may connect to: public unicast only, unless private networks are allowed. A callback URL
/// is attacker-chosen input; without this a request could make the worker POST to the cloud metadata service
/// (169.254.169.254), localhost admin ports or the cluster's private network.
/// </summary>
public static class NetworkGuard
{
    /// <summary>Null when <paramref name="address"/> may be called, else why not.</summary>
    public static string? Refusal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return "a loopback address";
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal ? "a link-local address"
                : address.IsIPv6SiteLocal || IsUniqueLocal(address) ? "a private address"
                : address.IsIPv6Multicast ? "a multicast address"
                : address.Equals(IPAddress.IPv6Any) ? "an unspecified address"
                : null;
        }

        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 => "an unspecified address",
            10 => "a private address",
            100 when b[1] is >= 64 and <= 127 => "a shared (carrier-grade NAT) address",
            169 when b[1] == 254 => "a link-local address",
            172 when b[1] is >= 16 and <= 31 => "a private address",
            192 when b[1] == 168 => "a private address",
            192 when b[1] == 0 && b[2] == 0 => "a reserved address",
            >= 224 => "a multicast or reserved address",
            _ => null,
        };
    }

    // fc00::/7
    private static bool IsUniqueLocal(IPAddress address) => (address.GetAddressBytes()[0] & 0xFE) == 0xFC;
}
