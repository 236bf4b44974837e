using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// A file the agent may send with <c>send_file</c> (a brochure, a price list, a menu): a name the model refers to, a
/// description and trigger words that tell it when, and either a public HTTPS link the channel fetches or the bytes the
/// owner uploaded (kept in the media store; each send gets a signed, expiring link to them).
/// </summary>
public sealed class AgentFile : ITenantOwned
{
    public const int MaxTriggerWords = 20;

    private AgentFile() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";

    /// <summary>The public link for a linked file; empty for an uploaded one (<see cref="Stored"/>).</summary>
    public string Url { get; private set; } = "";

    /// <summary>document, image, video or audio (how the channel shows it).</summary>
    public string Kind { get; private set; } = "document";
    public string? FileName { get; private set; }
    public string? Description { get; private set; }

    /// <summary>Words in a customer's message that call for this file ("menú", "precios").</summary>
    public List<string> TriggerWords { get; private set; } = [];

    /// <summary>The bytes were uploaded to this app (the media store holds them under the file's id).</summary>
    public bool Stored { get; private set; }

    /// <summary>Decided from the uploaded bytes; null for a linked file.</summary>
    public string? ContentType { get; private set; }
    public long? SizeBytes { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static AgentFile Create(Guid tenantId, string name, string url, string kind, string? fileName, DateTimeOffset now)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new DomainException("file.url", "A file's link must be an absolute https:// URL the channel can download.");
        if (kind is not ("document" or "image" or "video" or "audio"))
            throw new DomainException("file.kind", "A file is a document, image, video or audio.");
        var file = New(tenantId, name, fileName, null, [], now);
        file.Url = uri.ToString();
        file.Kind = kind;
        return file;
    }

    /// <summary>An uploaded file; <paramref name="contentType"/> is what the bytes proved, never what the browser said.</summary>
    public static AgentFile Upload(Guid tenantId, string name, string? description, IEnumerable<string>? triggerWords, string fileName,
        string contentType, long sizeBytes, DateTimeOffset now, Guid? id = null)
    {
        var file = New(tenantId, name, fileName, description, triggerWords, now);
        if (id is { } key) file.Id = key; // the bytes were stored first, under this key
        file.Stored = true;
        file.ContentType = contentType;
        file.SizeBytes = sizeBytes;
        file.Kind = contentType.Split('/')[0] switch
        {
            "image" => "image",
            "audio" => "audio",
            "video" => "video",
            _ => "document",
        };
        return file;
    }

    private static AgentFile New(Guid tenantId, string name, string? fileName, string? description, IEnumerable<string>? triggerWords,
        DateTimeOffset now)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > 120) throw new DomainException("file.name", "A file needs a name (at most 120 characters).");
        description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        if (description?.Length > 500) throw new DomainException("file.description", "A file's description is at most 500 characters.");
        var words = (triggerWords ?? []).Select(w => w?.Trim() ?? "").Where(w => w.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (words.Count > MaxTriggerWords || words.Any(w => w.Length > 60))
            throw new DomainException("file.triggers", "A file has at most 20 trigger words of up to 60 characters each.");
        return new AgentFile
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = name,
            FileName = string.IsNullOrWhiteSpace(fileName) ? null : Path.GetFileName(fileName.Trim()),
            Description = description,
            TriggerWords = words,
            CreatedAt = now,
        };
    }
}
