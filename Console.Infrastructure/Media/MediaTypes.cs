using System.Text;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Media;

/// <summary>
/// Decides a file's type from its first bytes (magic numbers), never from what the sender or the browser says: a
/// declared type only picks between members of one family the bytes already prove (zip → .docx, OLE → .xls).
/// Markup (HTML, SVG, XML) is never recognised, so it can never be stored as something a browser would render.
/// </summary>
public static class MediaTypes
{
    /// <summary>Bytes needed to decide (ftyp brands at 8–12, RIFF forms at 8–12, a text sample).</summary>
    public const int SampleSize = 512;

    private static readonly string[] RasterImages = ["image/jpeg", "image/png", "image/gif", "image/webp"];
    private static readonly string[] Audio = ["audio/ogg", "audio/mpeg", "audio/aac", "audio/mp4", "audio/amr", "audio/3gpp", "audio/wav"];
    private static readonly string[] Video = ["video/mp4", "video/3gpp", "video/quicktime", "video/webm"];

    private static readonly string[] ZipFamily =
    [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    ];

    private static readonly string[] OleFamily = ["application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"];

    /// <summary>The type the bytes prove, or null when they prove none this app accepts.</summary>
    public static string? Detect(ReadOnlySpan<byte> head, string? declared)
    {
        declared = declared?.Split(';')[0].Trim().ToLowerInvariant();
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return "image/jpeg";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8)) return "image/gif";
        if (head.Length >= 12 && head.StartsWith("RIFF"u8))
        {
            if (head[8..12].SequenceEqual("WEBP"u8)) return "image/webp";
            if (head[8..12].SequenceEqual("WAVE"u8)) return "audio/wav";
            return null;
        }
        if (head.StartsWith("%PDF-"u8)) return "application/pdf";
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(head[8..12]);
            var audio = declared?.StartsWith("audio/") == true;
            if (brand.StartsWith("M4A") || brand.StartsWith("M4B") || brand.StartsWith("M4P")) return "audio/mp4";
            if (brand.StartsWith("3gp") || brand.StartsWith("3g2")) return audio ? "audio/3gpp" : "video/3gpp";
            if (brand == "qt  ") return "video/quicktime";
            return audio ? "audio/mp4" : "video/mp4";
        }
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3])) return "video/webm";
        if (head.StartsWith("OggS"u8)) return "audio/ogg";
        if (head.StartsWith("#!AMR"u8)) return "audio/amr";
        if (head.StartsWith("ID3"u8)) return "audio/mpeg";
        if (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0)
        {
            // An MPEG frame header: layer bits 00 are AAC in an ADTS stream, anything else MP3.
            var layer = (head[1] >> 1) & 0x3;
            return layer == 0 ? "audio/aac" : "audio/mpeg";
        }
        if (head.StartsWith("PK\x03\x04"u8)) return declared is not null && ZipFamily.Contains(declared) ? declared : "application/zip";
        if (head.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
            return declared is not null && OleFamily.Contains(declared) ? declared : "application/vnd.ms-office";
        if (IsPlainText(head)) return declared == "text/csv" ? "text/csv" : "text/plain";
        return null;
    }

    /// <summary>Whether a file of <paramref name="type"/> may be kept for a message of <paramref name="kind"/>.</summary>
    public static bool AllowedFor(MessageType kind, string type) => kind switch
    {
        MessageType.Image => RasterImages.Contains(type),
        MessageType.Sticker => RasterImages.Contains(type),
        MessageType.Audio => Audio.Contains(type) || type is "video/mp4" or "video/3gpp",
        MessageType.Video => Video.Contains(type),
        _ => true, // documents (and anything else) may be any type Detect recognises
    };

    /// <summary>Types a browser may show in place: raster images, audio, video, PDF. Everything else is downloaded.</summary>
    public static bool IsInlineSafe(string? type) =>
        type is not null && (RasterImages.Contains(type) || Audio.Contains(type) || Video.Contains(type) || type == "application/pdf");

    /// <summary>Whether <paramref name="type"/> is one this app would have decided (anything else is served as octet-stream).</summary>
    public static bool IsKnown(string? type) => type is not null && (IsInlineSafe(type) || ZipFamily.Contains(type) || OleFamily.Contains(type)
        || type is "application/zip" or "application/vnd.ms-office" or "text/plain" or "text/csv");

    public static string Extension(string? type) => type switch
    {
        "image/jpeg" => ".jpg", "image/png" => ".png", "image/gif" => ".gif", "image/webp" => ".webp",
        "audio/ogg" => ".ogg", "audio/mpeg" => ".mp3", "audio/aac" => ".aac", "audio/mp4" => ".m4a", "audio/amr" => ".amr",
        "audio/3gpp" or "video/3gpp" => ".3gp", "audio/wav" => ".wav",
        "video/mp4" => ".mp4", "video/quicktime" => ".mov", "video/webm" => ".webm",
        "application/pdf" => ".pdf", "application/zip" => ".zip", "text/plain" => ".txt", "text/csv" => ".csv",
        "application/msword" => ".doc", "application/vnd.ms-excel" => ".xls", "application/vnd.ms-powerpoint" => ".ppt",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => ".docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => ".xlsx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => ".pptx",
        "application/vnd.oasis.opendocument.text" => ".odt", "application/vnd.oasis.opendocument.spreadsheet" => ".ods",
        "application/vnd.oasis.opendocument.presentation" => ".odp",
        _ => ".bin",
    };

    /// <summary>UTF-8 text without control characters that does not open like markup.</summary>
    private static bool IsPlainText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty) return false;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) head = head[3..];
        // The sample may end inside a multi-byte character: drop an incomplete tail before decoding.
        var end = head.Length;
        for (var back = 1; back <= Math.Min(3, head.Length); back++)
        {
            var b = head[^back];
            if ((b & 0xC0) == 0x80) continue;
            if (b >= 0xC0) end = head.Length - back;
            break;
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(head[..end]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        if (text.Any(c => char.IsControl(c) && c is not '\t' and not '\n' and not '\r' and not '\f')) return false;
        return !text.TrimStart().StartsWith('<');
    }
}

/// <summary>A media file this app will not keep: why (a short code the inbox translates) and the detail for the log.</summary>
public sealed class MediaRefusedException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The first bytes (already read for sniffing) followed by the rest of a stream, counting every byte and failing
/// once more than the cap has come through: the size is enforced while streaming, whatever Content-Length said.
/// </summary>
public sealed class CappedStream(byte[] head, Stream rest, long maxBytes) : Stream
{
    private int _headPosition;
    private long _total;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_headPosition < head.Length)
        {
            var n = Math.Min(buffer.Length, head.Length - _headPosition);
            head.AsMemory(_headPosition, n).CopyTo(buffer);
            _headPosition += n;
            return Count(n);
        }
        return Count(await rest.ReadAsync(buffer, ct));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_headPosition >= head.Length) return Count(rest.Read(buffer, offset, count));
        var n = Math.Min(count, head.Length - _headPosition);
        head.AsSpan(_headPosition, n).CopyTo(buffer.AsSpan(offset));
        _headPosition += n;
        return Count(n);
    }

    private int Count(int n)
    {
        _total += n;
        if (_total > maxBytes) throw new MediaRefusedException("size", $"The file is larger than {maxBytes} bytes.");
        return n;
    }

    /// <summary>Reads up to <paramref name="count"/> bytes (fewer only at the end of the stream).</summary>
    public static async Task<byte[]> ReadHeadAsync(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (n == 0) break;
            filled += n;
        }
        return filled == count ? buffer : buffer[..filled];
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _total; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
