using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Tests.Support;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace OperatorConsole.Tests.Agent;

/// <summary>A business's web site on 127.0.0.1: /precios (HTML), /texto (plain text), /redirect?to=.</summary>
public sealed class PageServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PageServer(WebApplication app) => _app = app;

    public int Port { get; private set; }
    public int Requests;

    public static async Task<PageServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new PageServer(app);
        app.Use(async (http, next) =>
        {
            Interlocked.Increment(ref server.Requests);
            await next(http);
        });
        app.MapGet("/precios", () => Results.Content("""
            <html><head><title>Promociones de verano</title><style>body { color: red }</style>
            <script>var secreto = "no-debe-aparecer";</script></head>
            <body><nav>Inicio | Contacto</nav><h1>Promociones</h1>
            <p>La <b>endodoncia</b> tiene 20&nbsp;% de descuento en julio: $3,200 MXN.</p><!-- comentario-oculto -->
            <ul><li>Válido en sucursal Polanco</li></ul></body></html>
            """, "text/html; charset=utf-8"));
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        await app.StartAsync();
        server.Port = new Uri(app.Urls.First()).Port;
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed class KnowledgeFilesApp : IAsyncLifetime
{
    public PageServer Site { get; private set; } = default!;

    /// <summary>A service inside the network: never on the allowlist.</summary>
    public PageServer Internal { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Site = await PageServer.StartAsync();
        Internal = await PageServer.StartAsync();
        App = new NodeAppFactory(null, new Dictionary<string, string?> { ["Network:PrivateAllowlist:0"] = $"127.0.0.1:{Site.Port}" });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Site.DisposeAsync();
        await Internal.DisposeAsync();
    }
}

/// <summary>Knowledge from files and web pages: read in the background with progress, searchable, switched off and on.</summary>
public class KnowledgeFilesTests(KnowledgeFilesApp fixture) : IClassFixture<KnowledgeFilesApp>
{
    private NodeAppFactory App => fixture.App;

    private HttpClient Api()
    {
        var api = App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return api;
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient api, Guid tenant, string fileName, byte[] bytes)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        return await api.PostAsync($"/api/v1/tenants/{tenant}/knowledge/files", form);
    }

    /// <summary>Polls the document until it leaves processing; every state seen, in order.</summary>
    private static async Task<List<JsonElement>> WatchAsync(HttpClient api, Guid tenant, Guid id)
    {
        var seen = new List<JsonElement>();
        await Eventually.TrueAsync(async () =>
        {
            var document = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant}/knowledge/{id}");
            seen.Add(document);
            return document.GetProperty("status").GetString() != "processing";
        }, "the document to be read", TimeSpan.FromSeconds(60));
        return seen;
    }

    private static async Task<JsonElement> SearchAsync(HttpClient api, Guid tenant, string q) =>
        (await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant}/knowledge/search?q={Uri.EscapeDataString(q)}")).GetProperty("items");

    /// <summary>
    /// A brochure as owners have them: 40 pages of text and a large photo (a JPEG stream PdfPig embeds as is; only
    /// its header is real), about 5 MB in all. Plain ASCII: the standard Helvetica PdfPig writes has no accented letters.
    /// </summary>
    public static byte[] BrochurePdf(int photoBytes = 5 * 1024 * 1024)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var number = 1; number <= 40; number++)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            if (number == 1) page.AddJpeg(FakeJpeg(photoBytes), new PdfRectangle(50, 400, 550, 800));
            var lines = number == 23
                ? new[] { "Implantes dentales", "El implante dental de titanio cuesta 18,000 pesos e incluye la corona.", "Garantia de cinco anos." }
                : new[] { $"Capitulo {number}", $"Informacion general de la clinica, seccion {number}.", "Atendemos con cita previa." };
            for (var i = 0; i < lines.Length; i++) page.AddText(lines[i], 11, new PdfPoint(50, 350 - i * 18), font);
        }
        return builder.Build();
    }

    private static byte[] FakeJpeg(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        byte[] header = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x04, 0x00, 0x06, 0x00, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01];
        header.CopyTo(bytes, 0);
        bytes[^2] = 0xFF;
        bytes[^1] = 0xD9;
        return bytes;
    }

    public static byte[] Docx(params string[] paragraphs)
    {
        using var stream = new MemoryStream();
        using (var word = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = word.AddMainDocumentPart();
            main.Document = new Document(new Body(paragraphs.Select(p => new Paragraph(new Run(new Text(p)))).Cast<OpenXmlElement>()));
        }
        return stream.ToArray();
    }

    [Fact]
    public async Task A_5_MB_pdf_is_accepted_at_once_read_in_the_background_with_progress_and_becomes_searchable()
    {
        var tenant = await App.TenantAsync();
        var api = Api();
        var pdf = BrochurePdf();
        Assert.InRange(pdf.Length, 5 * 1024 * 1024, 6 * 1024 * 1024);

        var accepted = await UploadAsync(api, tenant.Id, "folleto-2026.pdf", pdf);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var seen = await WatchAsync(api, tenant.Id, id);
        Assert.Equal("processing", seen[0].GetProperty("status").GetString());
        var progress = seen.Select(s => s.GetProperty("progress").GetInt32()).ToList();
        Assert.Equal(progress.OrderBy(p => p), progress); // progress only moves forward
        var done = seen[^1];
        Assert.Equal("ready", done.GetProperty("status").GetString());
        Assert.Equal(100, done.GetProperty("progress").GetInt32());
        Assert.True(done.GetProperty("chunks").GetInt32() > 1);
        Assert.Equal("folleto-2026", done.GetProperty("title").GetString());
        Assert.Equal(pdf.Length, done.GetProperty("sizeBytes").GetInt64());

        var hits = await SearchAsync(api, tenant.Id, "¿cuánto cuesta un implante?");
        Assert.Equal(id, hits[0].GetProperty("documentId").GetGuid());
        Assert.Contains("18,000 pesos", hits[0].GetProperty("text").GetString());
        Assert.True(hits[0].GetProperty("score").GetDouble() > 0);

        // The file was only kept until it was read.
        await using var work = App.Scopes.ForTenant(tenant.Id);
        Assert.False(await work.Db.KnowledgeFiles.AnyAsync(f => f.DocumentId == id));
    }

    [Fact]
    public async Task A_word_document_is_read_and_its_passages_are_shown_and_searchable()
    {
        var tenant = await App.TenantAsync();
        var api = Api();
        var docx = Docx("Política de cancelación", "Puedes cancelar sin costo hasta 24 horas antes de tu cita.", "Después se cobra el 50 % del tratamiento.");

        var accepted = await UploadAsync(api, tenant.Id, "Politicas.docx", docx);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal("ready", (await WatchAsync(api, tenant.Id, id))[^1].GetProperty("status").GetString());

        var chunks = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/knowledge/{id}/chunks")).GetProperty("items");
        Assert.Contains("24 horas antes", chunks[0].GetProperty("text").GetString());
        var hits = await SearchAsync(api, tenant.Id, "¿puedo cancelar mi cita?");
        Assert.Equal(id, hits[0].GetProperty("documentId").GetGuid());
    }

    [Fact]
    public async Task A_file_whose_bytes_are_not_what_its_name_says_is_refused_and_a_damaged_pdf_fails_with_its_reason()
    {
        var tenant = await App.TenantAsync();
        var api = Api();
        var renamed = await UploadAsync(api, tenant.Id, "precios.pdf", Encoding.UTF8.GetBytes("Limpieza $600"));
        Assert.Equal(HttpStatusCode.BadRequest, renamed.StatusCode);
        var problem = await renamed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("knowledge.type_mismatch", problem.GetProperty("code").GetString());
        Assert.Contains(".pdf", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await UploadAsync(api, tenant.Id, "foto.docx", BrochurePdf(1024))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await UploadAsync(api, tenant.Id, "hoja.xlsx", Encoding.UTF8.GetBytes("a,b"))).StatusCode);
        Assert.Empty(await api.GetFromJsonAsync<JsonElement[]>($"/api/v1/tenants/{tenant.Id}/knowledge") ?? []);

        var damaged = await UploadAsync(api, tenant.Id, "roto.pdf", Encoding.ASCII.GetBytes("%PDF-1.7\nthis is not really a pdf"));
        Assert.Equal(HttpStatusCode.Accepted, damaged.StatusCode);
        var id = (await damaged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var failed = (await WatchAsync(api, tenant.Id, id))[^1];
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("knowledge.unreadable", failed.GetProperty("failureCode").GetString());
        Assert.StartsWith("The file could not be read", failed.GetProperty("failure").GetString());
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused()
    {
        var tenant = await App.TenantAsync();
        var tooBig = new byte[10 * 1024 * 1024 + 1];
        Array.Fill(tooBig, (byte)'a');
        var response = await UploadAsync(Api(), tenant.Id, "enorme.txt", tooBig);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("knowledge.too_large", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_web_page_counts_against_the_plans_knowledge_once_its_size_is_known_and_a_full_base_refuses_new_pages()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var api = Api();
        // 10 MB on Starter: a file that leaves 100 bytes free, less than the page weighs.
        await using (var work = App.Scopes.ForTenant(tenant.Id))
        {
            work.Db.KnowledgeDocuments.Add(KnowledgeDocument.Queue(tenant.Id, "Catálogo", KnowledgeSource.File, "catalogo.pdf",
                10 * 1024 * 1024 - 100, DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        var accepted = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/url", new { url = $"http://127.0.0.1:{fixture.Site.Port}/precios" });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var page = (await WatchAsync(api, tenant.Id, id))[^1];
        Assert.Equal("failed", page.GetProperty("status").GetString());
        Assert.Equal("plan.limit_reached", page.GetProperty("failureCode").GetString());
        Assert.Equal(0, page.GetProperty("sizeBytes").GetInt64());

        // Filled to the byte: a new page is refused at once, nothing queued.
        await using (var work = App.Scopes.ForTenant(tenant.Id))
        {
            work.Db.KnowledgeDocuments.Add(KnowledgeDocument.Queue(tenant.Id, "Relleno", KnowledgeSource.File, "relleno.pdf", 100, DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        var full = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/url", new { url = $"http://127.0.0.1:{fixture.Site.Port}/precios" });
        Assert.Equal(HttpStatusCode.PaymentRequired, full.StatusCode);
        Assert.Equal("plan.limit_reached", (await full.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_web_page_is_fetched_once_as_text_and_loopback_or_a_redirect_into_the_network_is_refused()
    {
        var tenant = await App.TenantAsync();
        var api = Api();
        var before = fixture.Site.Requests;
        var accepted = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/url", new { url = $"http://127.0.0.1:{fixture.Site.Port}/precios" });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var page = (await WatchAsync(api, tenant.Id, id))[^1];
        Assert.Equal("ready", page.GetProperty("status").GetString());
        Assert.Equal("Promociones de verano", page.GetProperty("title").GetString());
        Assert.Equal(1, fixture.Site.Requests - before);
        var text = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/knowledge/{id}/chunks")).GetProperty("items")[0]
            .GetProperty("text").GetString()!;
        Assert.Contains("La endodoncia tiene 20 % de descuento en julio: $3,200 MXN.", text);
        Assert.DoesNotContain("no-debe-aparecer", text);
        Assert.DoesNotContain("comentario-oculto", text);
        Assert.DoesNotContain("<b>", text);
        Assert.Equal(id, (await SearchAsync(api, tenant.Id, "descuento en endodoncia"))[0].GetProperty("documentId").GetGuid());

        // Loopback outside the allowlist: refused before anything is stored or fetched.
        var internalBefore = fixture.Internal.Requests;
        var loopback = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/url", new { url = $"http://127.0.0.1:{fixture.Internal.Port}/precios" });
        Assert.Equal(HttpStatusCode.BadRequest, loopback.StatusCode);
        Assert.Equal("knowledge.url_blocked", (await loopback.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var local = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/url", new { url = "http://localhost:5432/" });
        Assert.Equal(HttpStatusCode.BadRequest, local.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/url", new { url = "file:///etc/passwd" })).StatusCode);

        // An allowed site redirecting into the network: the hop is checked too, and the document fails with the reason.
        var target = Uri.EscapeDataString($"http://127.0.0.1:{fixture.Internal.Port}/precios");
        var redirected = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/url",
            new { url = $"http://127.0.0.1:{fixture.Site.Port}/redirect?to={target}" });
        var redirectedId = (await redirected.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var failed = (await WatchAsync(api, tenant.Id, redirectedId))[^1];
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("knowledge.url_blocked", failed.GetProperty("failureCode").GetString());
        Assert.Equal(internalBefore, fixture.Internal.Requests);
    }

    [Fact]
    public async Task A_disabled_document_is_never_retrieved_by_the_agent_until_enabled_again_and_every_change_is_audited()
    {
        var tenant = await App.TenantAsync();
        var api = Api();
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge",
            new { title = "Estacionamiento", content = "Tenemos estacionamiento gratuito para pacientes en el sótano del edificio." });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(id, (await SearchAsync(api, tenant.Id, "¿tienen estacionamiento?"))[0].GetProperty("documentId").GetGuid());

        var disabled = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/{id}", new { enabled = false });
        Assert.False((await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("enabled").GetBoolean());
        Assert.Equal(0, (await SearchAsync(api, tenant.Id, "¿tienen estacionamiento?")).GetArrayLength());
        Assert.Equal(0, (await SearchAsync(api, tenant.Id, "estasionamiento")).GetArrayLength()); // nor by the typo fallback
        await using (var work = App.Scopes.ForTenant(tenant.Id))
            Assert.Empty(await work.Services.GetRequiredService<KnowledgeBase>().SearchAsync("estacionamiento gratuito", 4, default));
        // Its text is kept: the passages it would have are still shown.
        var chunks = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/knowledge/{id}/chunks")).GetProperty("items");
        Assert.Contains("sótano", chunks[0].GetProperty("text").GetString());

        await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge/{id}", new { enabled = true });
        Assert.Equal(id, (await SearchAsync(api, tenant.Id, "¿tienen estacionamiento?"))[0].GetProperty("documentId").GetGuid());
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/knowledge/{id}")).StatusCode);

        await using var audit = App.Scopes.ForTenant(tenant.Id);
        var actions = await audit.Db.AuditEntries.Where(e => e.EntityId == id.ToString()).OrderBy(e => e.CreatedAt).ThenBy(e => e.Id)
            .Select(e => e.Action).ToListAsync();
        Assert.Equal(["knowledge.added", "knowledge.disabled", "knowledge.enabled", "knowledge.deleted"], actions);
    }

    [Fact]
    public async Task Another_tenants_document_answers_404_everywhere()
    {
        var mine = await App.TenantAsync();
        var theirs = await App.TenantAsync();
        var api = Api();
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{theirs.Id}/knowledge", new { title = "Secreto", content = "Precio especial para socios: $100." });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/tenants/{mine.Id}/knowledge/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/tenants/{mine.Id}/knowledge/{id}/chunks")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PatchAsJsonAsync($"/api/v1/tenants/{mine.Id}/knowledge/{id}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync($"/api/v1/tenants/{mine.Id}/knowledge/{id}")).StatusCode);
        Assert.Equal(0, (await SearchAsync(api, mine.Id, "precio especial socios")).GetArrayLength());
        Assert.Equal("ready", (await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{theirs.Id}/knowledge/{id}")).GetProperty("status").GetString());
        Assert.True((await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{theirs.Id}/knowledge/{id}")).GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task A_document_left_processing_by_a_stopped_node_is_taken_over_once_its_lease_passes()
    {
        var tenant = await App.TenantAsync();
        Guid id;
        await using (var work = App.Scopes.ForTenant(tenant.Id))
        {
            var document = KnowledgeDocument.Queue(tenant.Id, "Horario", KnowledgeSource.File, "horario.txt", 40, DateTimeOffset.UtcNow);
            document.Claim(DateTimeOffset.UtcNow.AddMinutes(-1)); // a node claimed it, then died: its lease has passed
            work.Db.KnowledgeDocuments.Add(document);
            work.Db.KnowledgeFiles.Add(KnowledgeFile.For(document, Encoding.UTF8.GetBytes("Abrimos de lunes a sábado de 9 a 19 h.")));
            await work.Db.SaveChangesAsync();
            id = document.Id;
        }
        var done = (await WatchAsync(Api(), tenant.Id, id))[^1];
        Assert.Equal("ready", done.GetProperty("status").GetString());
        await using var check = App.Scopes.ForTenant(tenant.Id);
        Assert.Equal(2, await check.Db.KnowledgeDocuments.Where(d => d.Id == id).Select(d => d.Attempts).SingleAsync());
    }
}
