using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LlmQueue.Engine.KvCache.Prefix;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// Redis keys of remote KV blocks: "&lt;prefix&gt;:&lt;model&gt;:&lt;layer type index&gt;:&lt;block hash hex&gt;", model being
/// the first 16 hex digits of SHA-256(UTF-8 model fingerprint). The block hash already carries the tenant
/// (cache salt) and the model; the model part of the key groups one model's values for operators (SCAN, UNLINK).
/// </summary>
public sealed class RemoteKvKeys
{
    private const int ModelHashHexDigits = 16;
    private readonly string _modelPrefix;

    public RemoteKvKeys(string keyPrefix, string modelFingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        ArgumentException.ThrowIfNullOrEmpty(modelFingerprint);
        var modelHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelFingerprint)))[..ModelHashHexDigits];
        _modelPrefix = $"{keyPrefix}:{modelHash}:";
    }

    public string For(int layerType, BlockHash block) =>
        string.Create(CultureInfo.InvariantCulture, $"{_modelPrefix}{layerType}:{block}");
}
