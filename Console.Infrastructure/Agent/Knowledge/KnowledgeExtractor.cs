using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

/// <summary>What a knowledge file is, decided from its bytes.</summary>
public enum KnowledgeFileKind { Text, Pdf, Docx }

/// <summary>A file or page the knowledge base cannot take; the code words it for people (Error.{code}).</summary>
public sealed class KnowledgeRefusedException(string code, string message, params object?[] args) : Exception(message)
{
    public string Code { get; } = code;
    public IReadOnlyList<object?> Args { get; } = args;
}

/// <summary>
/// Turns uploaded files and fetched pages into plain text. The kind comes from the bytes (a PDF starts with
/// "%PDF-", a Word document is a zip holding word/document.xml, text is valid UTF-8 without control bytes); the
/// name's extension must agree, so a renamed file is refused rather than read as something it is not.
/// </summary>
public static partial class KnowledgeExtractor
{
    public static readonly IReadOnlyDictionary<string, KnowledgeFileKind> Extensions = new Dictionary<string, KnowledgeFileKind>(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = KnowledgeFileKind.Text, [".md"] = KnowledgeFileKind.Text, [".markdown"] = KnowledgeFileKind.Text,
        [".pdf"] = KnowledgeFileKind.Pdf, [".docx"] = KnowledgeFileKind.Docx,
    };

    /// <summary>The file's kind from its bytes, checked against its name; throws <see cref="KnowledgeRefusedException"/>.</summary>
    public static KnowledgeFileKind Identify(string? fileName, ReadOnlySpan<byte> bytes)
    {
        var extension = Path.GetExtension(fileName ?? "");
        if (!Extensions.TryGetValue(extension, out var named))
            throw new KnowledgeRefusedException("knowledge.file_type", "Only .txt, .md, .pdf and .docx files can be added.");
        if (bytes.Length == 0) throw new KnowledgeRefusedException("knowledge.content", "The document has no text.");
        var actual = Detect(bytes);
        if (actual != named)
            throw new KnowledgeRefusedException("knowledge.type_mismatch", $"The file is named {extension} but its contents are not a {extension} file.",
                extension);
        return actual!.Value;
    }

    /// <summary>What the bytes are, or null when none of the accepted kinds.</summary>
    public static KnowledgeFileKind? Detect(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith("%PDF-"u8)) return KnowledgeFileKind.Pdf;
        if (bytes.StartsWith("PK\u0003\u0004"u8)) return IsWordDocument(bytes.ToArray()) ? KnowledgeFileKind.Docx : null;
        return DecodeText(bytes) is null ? null : KnowledgeFileKind.Text;
    }

    private static bool IsWordDocument(byte[] bytes)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            return zip.GetEntry("word/document.xml") is not null;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Text as UTF-8 (BOM or not); null when the bytes are binary or not UTF-8.</summary>
    public static string? DecodeText(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        // Control characters other than tab and line breaks mean a binary file that happens to be valid UTF-8.
        return text.Any(c => c < ' ' && c is not ('\t' or '\n' or '\r' or '\f')) ? null : text;
    }

    /// <summary>The text of a file of kind <paramref name="kind"/>; <paramref name="progress"/> gets 0–1 as pages are read.</summary>
    public static async Task<string> ExtractAsync(KnowledgeFileKind kind, byte[] bytes, Func<double, Task> progress, CancellationToken ct)
    {
        try
        {
            return kind switch
            {
                KnowledgeFileKind.Pdf => await PdfTextAsync(bytes, progress, ct),
                KnowledgeFileKind.Docx => DocxText(bytes),
                _ => DecodeText(bytes) ?? throw new KnowledgeRefusedException("knowledge.unreadable", "The file is not UTF-8 text."),
            };
        }
        catch (Exception ex) when (ex is not (KnowledgeRefusedException or OperationCanceledException))
        {
            // A damaged or encrypted file: PdfPig and OpenXml throw many kinds; none of them heals on a retry.
            throw new KnowledgeRefusedException("knowledge.unreadable", $"The file could not be read: {ex.Message}");
        }
    }

    private static async Task<string> PdfTextAsync(byte[] bytes, Func<double, Task> progress, CancellationToken ct)
    {
        using var pdf = PdfDocument.Open(bytes);
        var text = new StringBuilder();
        var pages = pdf.NumberOfPages;
        if (pages == 0) throw new KnowledgeRefusedException("knowledge.unreadable", "The file could not be read: the PDF has no pages.");
        for (var number = 1; number <= pages; number++)
        {
            ct.ThrowIfCancellationRequested();
            var page = pdf.GetPage(number);
            var pageText = ContentOrderTextExtractor.GetText(page, true);
            if (!string.IsNullOrWhiteSpace(pageText)) text.Append(Paragraphs(pageText)).Append("\n\n");
            if (text.Length > Domain.Agent.KnowledgeDocument.MaxContent * 2) break; // refused as too long anyway
            await progress((double)number / pages);
        }
        // Pages without text are pictures of text (a scan): nothing to read without OCR.
        if (string.IsNullOrWhiteSpace(text.ToString()))
            throw new KnowledgeRefusedException("knowledge.scanned", "The PDF has no text to read (is it a scan?). Paste its text instead.");
        return text.ToString();
    }

    private static string DocxText(byte[] bytes)
    {
        using var word = WordprocessingDocument.Open(new MemoryStream(bytes), false);
        var body = word.MainDocumentPart?.Document?.Body
            ?? throw new KnowledgeRefusedException("knowledge.unreadable", "The Word document has no body.");
        // One paragraph per block: the chunker splits on blank lines, and headings travel with what follows them.
        return string.Join("\n\n", body.Descendants<Paragraph>().Select(p => p.InnerText.Trim()).Where(t => t.Length > 0));
    }

    /// <summary>A PDF page's lines joined into paragraphs: a line break inside a sentence is only layout.</summary>
    private static string Paragraphs(string pageText) =>
        BlankLines().Replace(pageText.Replace("\r\n", "\n").Trim(), "\n\n");

    /// <summary>The readable text of an HTML page and its title (scripts, styles and markup dropped, entities decoded).</summary>
    public static (string Text, string? Title) HtmlText(string html)
    {
        var titleMatch = TitleTag().Match(html);
        var title = titleMatch.Success ? Collapse(WebUtility.HtmlDecode(titleMatch.Groups[1].Value)) : null;
        var body = Invisible().Replace(html, " ");
        body = Comments().Replace(body, " ");
        body = BlockTags().Replace(body, "\n\n");
        body = LineBreaks().Replace(body, "\n");
        body = Tags().Replace(body, " ");
        body = WebUtility.HtmlDecode(body);
        var paragraphs = body.Split("\n\n").Select(Collapse).Where(p => p.Length > 0);
        return (string.Join("\n\n", paragraphs), string.IsNullOrEmpty(title) ? null : title);
    }

    private static string Collapse(string text) => Spaces().Replace(text, " ").Trim();

    [GeneratedRegex(@"\n\s*\n\s*")]
    private static partial Regex BlankLines();

    [GeneratedRegex(@"<title[^>]*>(.*?)</title>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex TitleTag();

    [GeneratedRegex(@"<(script|style|noscript|svg|head|template|iframe)\b.*?</\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Invisible();

    [GeneratedRegex(@"<!--.*?-->", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"</?(p|div|section|article|header|footer|main|nav|aside|h[1-6]|ul|ol|li|table|tr|blockquote|pre|dl|dt|dd|figure|form)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockTags();

    [GeneratedRegex(@"<br\s*/?>|</t[dh]>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreaks();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"[ \t\r\n\f\u00A0]+")]
    private static partial Regex Spaces();
}
