using System.Net;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Media;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Security;

namespace OperatorConsole.Tests.Security;

/// <summary>The host rule, the address rule (with an injected resolver: no real DNS) and type sniffing, each on its own.</summary>
public class MediaPolicyTests
{
    private static readonly Uri Graph = new("https://graph.facebook.com");

    private static Func<string, CancellationToken, Task<IPAddress[]>> Resolves(params string[] addresses) =>
        (_, _) => Task.FromResult(addresses.Select(IPAddress.Parse).ToArray());

    [Theory]
    [InlineData("https://scontent.xx.fbcdn.net/v/t1/photo.jpg", true)]
    [InlineData("https://fbcdn.net/photo.jpg", true)]
    [InlineData("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", true)]
    [InlineData("https://graph.facebook.com/v23.0/123", true)]
    [InlineData("https://evilfbcdn.net/photo.jpg", false)]
    [InlineData("https://fbcdn.net.evil.example/photo.jpg", false)]
    [InlineData("https://graph.facebook.com:8443/v23.0/123", false)]
    [InlineData("http://127.0.0.1/admin", false)]
    [InlineData("http://169.254.169.254/latest/meta-data/", false)]
    [InlineData("ftp://cdn.fbcdn.net/x", false)]
    public void Media_urls_come_from_the_graph_origin_or_under_a_media_host_on_a_dot_boundary(string url, bool allowed) =>
        Assert.Equal(allowed, MediaSources.Refuse(new Uri(url), Graph, MetaOptions.DefaultMediaHostSuffixes) is null);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.1.10")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    public async Task A_media_host_resolving_to_a_private_address_is_refused(string address)
    {
        var blocked = await Assert.ThrowsAsync<BlockedDestinationException>(() =>
            NetworkPolicy.AllowedAddressesAsync("scontent.xx.fbcdn.net", 443, [], null, Resolves(address)));
        Assert.Equal("address", blocked.Reason);
    }

    [Fact]
    public async Task Only_the_public_addresses_of_a_name_are_used()
    {
        var allowed = await NetworkPolicy.AllowedAddressesAsync("scontent.xx.fbcdn.net", 443, [], null, Resolves("127.0.0.1", "157.240.22.35"));
        Assert.Equal([IPAddress.Parse("157.240.22.35")], allowed);
    }

    [Theory]
    [InlineData("10.0.0.0/8", 443)]
    [InlineData("10.1.2.3", 443)]
    [InlineData("10.1.2.3:443", 443)]
    [InlineData("intranet.local:443", 443)]
    public async Task The_private_allowlist_admits_a_deliberate_exception(string entry, int port)
    {
        var allowed = await NetworkPolicy.AllowedAddressesAsync("intranet.local", port, [entry], null, Resolves("10.1.2.3"));
        Assert.Single(allowed);
        await Assert.ThrowsAsync<BlockedDestinationException>(() =>
            NetworkPolicy.AllowedAddressesAsync("intranet.local", 8080, ["10.1.2.3:443"], null, Resolves("10.1.2.3")));
    }

    [Fact]
    public async Task The_configured_graph_origin_is_exempt_from_the_address_rule()
    {
        var allowed = await NetworkPolicy.AllowedAddressesAsync("127.0.0.1", 5000, [], (host, port) => host == "127.0.0.1" && port == 5000);
        Assert.Single(allowed);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "image/jpeg", "image/jpeg")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, null, "image/png")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, null, "image/gif")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50 }, null, "image/webp")]
    [InlineData(new byte[] { 0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6D, 0x70, 0x34, 0x32 }, "video/mp4", "video/mp4")]
    [InlineData(new byte[] { 0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x33, 0x67, 0x70, 0x34 }, "video/3gpp", "video/3gpp")]
    [InlineData(new byte[] { 0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x4D, 0x34, 0x41, 0x20 }, "audio/mp4", "audio/mp4")]
    [InlineData(new byte[] { 0x4F, 0x67, 0x67, 0x53, 0 }, "audio/ogg; codecs=opus", "audio/ogg")]
    [InlineData(new byte[] { 0x49, 0x44, 0x33, 4 }, "audio/mpeg", "audio/mpeg")]
    [InlineData(new byte[] { 0xFF, 0xFB, 0x90 }, "audio/mpeg", "audio/mpeg")]
    [InlineData(new byte[] { 0xFF, 0xF1, 0x50 }, "audio/aac", "audio/aac")]
    [InlineData(new byte[] { 0x23, 0x21, 0x41, 0x4D, 0x52, 0x0A }, "audio/amr", "audio/amr")]
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D, 0x31 }, "application/pdf", "application/pdf")]
    [InlineData(new byte[] { 0x50, 0x4B, 3, 4 }, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    [InlineData(new byte[] { 0x50, 0x4B, 3, 4 }, "text/html", "application/zip")]
    [InlineData(new byte[] { 0x48, 0x6F, 0x6C, 0x61, 0x0A }, "text/plain", "text/plain")]
    public void The_type_comes_from_the_bytes(byte[] head, string? declared, string expected) =>
        Assert.Equal(expected, MediaTypes.Detect(head, declared));

    [Theory]
    [InlineData("<html><script>alert(1)</script></html>", "image/jpeg")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>", "image/svg+xml")]
    [InlineData("  <!DOCTYPE html><p>hi</p>", "text/plain")]
    [InlineData("<?xml version=\"1.0\"?><x/>", "application/xml")]
    public void Markup_is_never_a_recognised_type(string content, string declared) =>
        Assert.Null(MediaTypes.Detect(System.Text.Encoding.UTF8.GetBytes(content), declared));

    [Theory]
    [InlineData(MessageType.Image, "image/jpeg", true)]
    [InlineData(MessageType.Image, "application/pdf", false)]
    [InlineData(MessageType.Image, "video/mp4", false)]
    [InlineData(MessageType.Audio, "audio/ogg", true)]
    [InlineData(MessageType.Audio, "image/png", false)]
    [InlineData(MessageType.Video, "video/mp4", true)]
    [InlineData(MessageType.Video, "text/plain", false)]
    [InlineData(MessageType.Sticker, "image/webp", true)]
    [InlineData(MessageType.Document, "application/pdf", true)]
    public void Each_message_kind_has_its_own_allowlist(MessageType kind, string type, bool allowed) =>
        Assert.Equal(allowed, MediaTypes.AllowedFor(kind, type));

    [Fact]
    public async Task The_size_cap_is_counted_while_streaming()
    {
        var stream = new CappedStream([1, 2, 3], new MemoryStream(new byte[100]), maxBytes: 50);
        var refused = await Assert.ThrowsAsync<MediaRefusedException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Equal("size", refused.Reason);
    }
}
