using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// A file the agent may send with <c>send_file</c> (a brochure, a price list, a menu): a name the model refers to and a
/// public HTTPS link the channel fetches. The owner manages the list in the workspace.
/// </summary>
public sealed class AgentFile : ITenantOwned
{
    private AgentFile() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";
    public string Url { get; private set; } = "";

    /// <summary>document, image, video or audio (how the channel shows it).</summary>
    public string Kind { get; private set; } = "document";
    public string? FileName { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static AgentFile Create(Guid tenantId, string name, string url, string kind, string? fileName, DateTimeOffset now)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > 120) throw new DomainException("file.name", "A file needs a name (at most 120 characters).");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new DomainException("file.url", "A file's link must be an absolute https:// URL the channel can download.");
        if (kind is not ("document" or "image" or "video" or "audio"))
            throw new DomainException("file.kind", "A file is a document, image, video or audio.");
        return new AgentFile
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = name,
            Url = uri.ToString(),
            Kind = kind,
            FileName = string.IsNullOrWhiteSpace(fileName) ? null : fileName.Trim(),
            CreatedAt = now,
        };
    }
}
