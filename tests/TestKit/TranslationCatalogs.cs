using System.Buffers.Binary;
using System.Text;

namespace LlmQueue.TestKit;

/// <summary>
/// Real multilingual text for the tokenizer's parity test and benchmark: the translated messages of GLib's and GTK's
/// gettext catalogs (Debian packages libglib2.0-data and libgtk2.0-common), one document per language, in 15 scripts:
/// Han, kana, Hangul, Arabic, Hebrew, Devanagari, Bengali, Tamil, Telugu, Thai, Cyrillic, Greek, Georgian, Myanmar,
/// Latin with Vietnamese diacritics.
/// </summary>
public static class TranslationCatalogs
{
    private const string LocaleRoot = "/usr/share/locale";
    /// <summary>The languages read, in order.</summary>
    public static IReadOnlyList<string> Languages { get; } =
        ["zh_CN", "zh_TW", "ja", "ko", "ar", "fa", "he", "hi", "bn", "ta", "te", "th", "ru", "uk", "el", "ka", "my", "vi"];

    private static readonly string[] s_domains = ["glib20", "gtk20"];

    /// <summary>Up to <paramref name="charsPerLanguage"/> characters of translated messages per language found.</summary>
    public static List<(string Language, string Text)> Documents(int charsPerLanguage)
    {
        var documents = new List<(string Language, string Text)>();
        foreach (var language in Languages)
        {
            var text = new StringBuilder();
            foreach (var domain in s_domains)
            {
                var path = Path.Combine(LocaleRoot, language, "LC_MESSAGES", domain + ".mo");
                if (text.Length >= charsPerLanguage || !File.Exists(path))
                {
                    continue;
                }

                // Messages only until the document is long enough: the catalogs are far larger than it.
                foreach (var message in Translations(File.ReadAllBytes(path)).TakeWhile(_ => text.Length < charsPerLanguage))
                {
                    text.Append(message).Append('\n');
                }
            }

            if (text.Length > 0)
            {
                documents.Add((language, text.ToString(0, Math.Min(text.Length, charsPerLanguage))));
            }
        }

        return documents;
    }

    /// <summary>
    /// The translations of a GNU .mo file: its header, then a table of (length, offset) per translated string;
    /// entry 0 is the catalog's metadata, and plural forms are separated by NUL.
    /// </summary>
    private static IEnumerable<string> Translations(byte[] file)
    {
        var bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(file) != 0x950412de;
        uint Read(int offset) => bigEndian
            ? BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(offset))
            : BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset));

        var count = (int)Read(8);
        var table = (int)Read(16);
        for (var i = 1; i < count; i++)
        {
            var length = (int)Read(table + (8 * i));
            var offset = (int)Read(table + (8 * i) + 4);
            foreach (var form in Encoding.UTF8.GetString(file, offset, length).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return form;
            }
        }
    }
}
