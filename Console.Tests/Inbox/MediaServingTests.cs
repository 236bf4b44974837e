using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Media;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Inbox;

/// <summary>
/// Every stored file is served from the app's own origin, so none may run as a page there: nosniff, a sandboxing CSP,
/// a download for anything but raster images/audio/video/PDF, and the type decided from the bytes.
/// </summary>
public class MediaServingTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    public const string ScriptedSvg =
        """<svg xmlns="http://www.w3.org/2000/svg" onload="document.title='pwned';window.pwned=1"><script>document.title='pwned';window.pwned=1</script></svg>""";

    private IMediaStore Store => app.Services.GetRequiredService<IMediaStore>();

    private static void AssertServedAsDownload(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("sandbox", csp);
        Assert.Contains("default-src 'none'", csp);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.NotEqual("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>An svg file stored with a link naming its svg type, as an upload was before types were sniffed.</summary>
    public static async Task<string> StoredSvgLinkAsync(ConsoleAppFactory app, Guid tenantId)
    {
        var key = Guid.CreateVersion7();
        await app.Services.GetRequiredService<IMediaStore>().SaveAsync(tenantId, key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ScriptedSvg)), default);
        return "/media/out/" + app.Services.GetRequiredService<OutboundMediaLinks>().Token(tenantId, key, "image/svg+xml");
    }

    [Fact]
    public async Task An_svg_link_with_a_script_is_served_as_an_attachment_with_nosniff_and_a_sandbox_csp()
    {
        var tenant = await app.TenantAsync();
        var link = await StoredSvgLinkAsync(app, tenant.Id);

        var response = await app.CreateClient().GetAsync(link);

        AssertServedAsDownload(response);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_customers_html_document_is_served_as_an_attachment_with_nosniff_and_a_sandbox_csp()
    {
        var tenant = await app.TenantAsync(password: "Owner!Pass1");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente");
        Message message;
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var tracked = await work.Db.Conversations.FindAsync(conversation.Id);
            message = Message.Inbound(tracked!, "wamid." + Guid.NewGuid().ToString("N"), MessageType.Document, "factura.html",
                """{"media":{"fileName":"factura\"; evil=.html"}}""", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
            message.ExpectMedia();
            // The sender's declared type, as a row stored before types were decided from the bytes kept it.
            message.MediaStored("text/html");
            work.Db.Messages.Add(message);
            await work.Db.SaveChangesAsync();
        }
        await Store.SaveAsync(tenant.Id, message.Id, new MemoryStream("<html><script>document.title='pwned'</script></html>"u8.ToArray()), default);
        var member = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await new FormClient(member).LoginAsync($"{tenant.Slug}@owner.test", "Owner!Pass1");

        var response = await member.GetAsync($"/media/{message.Id}");

        AssertServedAsDownload(response);
        var fileName = response.Content.Headers.ContentDisposition!.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName!;
        Assert.DoesNotContain("\"", fileName);
        Assert.DoesNotContain(";", fileName);
        Assert.EndsWith(".bin", fileName);
    }

    [Fact]
    public async Task An_uploaded_svg_or_html_is_refused_whatever_the_browser_says_it_is()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente");

        var svg = await Assert.ThrowsAsync<DomainException>(() => app.Commands().SendMediaAsync(agent, conversation.Id,
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ScriptedSvg)), "logo.svg", "image/svg+xml", null, new Uri("http://localhost/")));
        var html = await Assert.ThrowsAsync<DomainException>(() => app.Commands().SendMediaAsync(agent, conversation.Id,
            new MemoryStream("<html><script>alert(1)</script>"u8.ToArray()), "foto.png", "image/png", null, new Uri("http://localhost/")));

        Assert.Equal(("media.type", "media.type"), (svg.Code, html.Code));
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_refused_on_the_server()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente");
        var max = app.Services.GetRequiredService<IOptionsMonitor<MediaOptions>>().CurrentValue.MaxUploadBytes;
        var big = new byte[max + 1];
        "%PDF-1.4"u8.CopyTo(big);

        var refused = await Assert.ThrowsAsync<DomainException>(() => app.Commands().SendMediaAsync(agent, conversation.Id,
            new MemoryStream(big), "grande.pdf", "application/pdf", null, new Uri("http://localhost/")));

        Assert.Equal("media.size", refused.Code);
    }

    [Fact]
    public async Task An_uploads_type_is_decided_from_its_bytes_and_served_inline_only_when_safe()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id, "Ana");
        var conversation = await app.ConversationAsync(tenant.Id, "Cliente");
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D];

        var message = await app.Commands().SendMediaAsync(agent, conversation.Id, new MemoryStream(png), "foto", "application/octet-stream", null,
            new Uri("http://localhost/"));

        var link = new Uri(OutboundEnvelope.Parse(message.Payload)!.Content.Media!.Link!);
        var response = await app.CreateClient().GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Contains("sandbox", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task An_outbound_media_link_expires()
    {
        var tenant = await app.TenantAsync();
        var key = Guid.CreateVersion7();
        await Store.SaveAsync(tenant.Id, key, new MemoryStream("%PDF-1.4 receta"u8.ToArray()), default);
        var options = app.Services.GetRequiredService<IOptionsMonitor<MediaOptions>>();
        var protection = app.Services.GetRequiredService<IDataProtectionProvider>();
        // Issued by the app's own keys, but as if 61 minutes ago: the default lifetime is one hour.
        var past = new OutboundMediaLinks(protection, new FixedClock(DateTimeOffset.UtcNow.AddMinutes(-61)), options);
        var now = app.Services.GetRequiredService<OutboundMediaLinks>();
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/media/out/{past.Token(tenant.Id, key, "application/pdf")}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/media/out/{now.Token(tenant.Id, key, "application/pdf")}")).StatusCode);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
