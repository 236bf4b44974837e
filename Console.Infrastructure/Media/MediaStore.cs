using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Media;

/// <summary>Customers' and agents' media. Keys: Media:*.</summary>
public sealed class MediaOptions
{
    /// <summary>Folder for the local store; relative paths are under the app's content root.</summary>
    [Required] public string Root { get; set; } = ".data/media";

    [Range(0, 256)] public int Workers { get; set; } = 2;

    /// <summary>Largest file fetched (WhatsApp documents can reach 100 MB), counted while streaming.</summary>
    [Range(1, 1L << 40)] public long MaxBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Largest file an agent may attach (WhatsApp's largest media kind that is not a document, video, is 16 MB).</summary>
    [Range(1, 1L << 40)] public long MaxUploadBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Redirects followed for one media URL; each is checked like the URL itself.</summary>
    [Range(0, 20)] public int MaxRedirects { get; set; } = 3;

    /// <summary>How long a link to an agent's attachment works: Meta fetches it within minutes of the send.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00", ParseLimitsInInvariantCulture = true)] public TimeSpan OutboundLinkLifetime { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Where customers' media lives. Local disk by default; an object store can replace it.</summary>
public interface IMediaStore
{
    Task SaveAsync(Guid tenantId, Guid messageId, Stream content, CancellationToken ct);

    Stream? Open(Guid tenantId, Guid messageId);

    /// <summary>Removes a file (an agent file its owner deleted); nothing happens when it is not there.</summary>
    void Delete(Guid tenantId, Guid key);
}

/// <summary>Files under {root}/{tenant}/{message}: a tenant's files never share a folder with another's.</summary>
public sealed class LocalMediaStore(string root) : IMediaStore
{
    public async Task SaveAsync(Guid tenantId, Guid messageId, Stream content, CancellationToken ct)
    {
        var path = PathFor(tenantId, messageId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write to a temporary name and rename, so a crash never leaves a half file that looks complete.
        var temporary = path + ".part";
        try
        {
            await using (var file = File.Create(temporary)) await content.CopyToAsync(file, ct);
        }
        catch
        {
            File.Delete(temporary); // a refused (too large) or interrupted file leaves nothing behind
            throw;
        }
        File.Move(temporary, path, overwrite: true);
    }

    public Stream? Open(Guid tenantId, Guid messageId)
    {
        var path = PathFor(tenantId, messageId);
        return File.Exists(path) ? File.OpenRead(path) : null;
    }

    public void Delete(Guid tenantId, Guid key) => File.Delete(PathFor(tenantId, key));

    private string PathFor(Guid tenantId, Guid messageId) => Path.Combine(root, tenantId.ToString("N"), messageId.ToString("N"));
}
