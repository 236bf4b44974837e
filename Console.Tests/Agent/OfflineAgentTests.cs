using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>No Llm:ApiKey, and sends going for real to a local fake Graph API: what the customer actually receives.</summary>
public sealed class OfflineLiveApp : IAsyncLifetime
{
    public FakeGraphApi Graph { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Llm:ApiKey"] = "",
            ["Agent:PollMilliseconds"] = "50",
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}

/// <summary>
/// The agent without a model, end to end: signed webhook → agent turn (rules calling the built-in tools) → outbound
/// queue → Graph API. Each test is its own business with its own customer.
/// </summary>
public class OfflineAgentTests(OfflineLiveApp live) : IClassFixture<OfflineLiveApp>
{
    private NodeAppFactory App => live.App;

    private static readonly TimeZoneInfo Mexico = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");

    // WhatsApp stamps messages in whole seconds: an answer typed within the second of the bot's reply would sort before it.
    private static DateTimeOffset NextSecond => DateTimeOffset.UtcNow.AddSeconds(1);

    private List<JsonNode> SendsTo(TestCustomer customer) =>
        live.Graph.Sends.Where(s => s.Path.Contains($"/{customer.PhoneNumberId}/") && s.Body?["to"]?.GetValue<string>() == customer.WaId)
            .Select(s => s.Body!).ToList();

    private Task<List<JsonNode>> WaitForSendsAsync(TestCustomer customer, int count) =>
        Eventually.GetAsync(() => Task.FromResult(SendsTo(customer)), s => s.Count >= count, $"{count} send(s) to the Graph API", TimeSpan.FromSeconds(30));

    private static string Body(JsonNode send) => send["type"]!.GetValue<string>() switch
    {
        "text" => send["text"]!["body"]!.GetValue<string>(),
        "interactive" => send["interactive"]!["body"]!["text"]!.GetValue<string>(),
        var other => throw new InvalidOperationException($"unexpected {other}"),
    };

    private async Task<TestCustomer> CustomerAsync(params (string Title, string Content)[] knowledge)
    {
        var customer = await TestCustomer.CreateAsync(App, s => s with { EscalationKeywords = [] });
        await using var work = App.Scopes.ForTenant(customer.TenantId);
        var kb = work.Services.GetRequiredService<KnowledgeBase>();
        foreach (var (title, content) in knowledge) await kb.AddAsync(title, content, default);
        return customer;
    }

    private async Task AddProductsAsync(TestCustomer customer, params (string Name, decimal Price)[] products)
    {
        await using var work = App.Scopes.ForTenant(customer.TenantId);
        foreach (var (name, price) in products)
            work.Db.Products.Add(Product.Create(customer.TenantId, name, null, price, "MXN", true, DateTimeOffset.UtcNow));
        await work.Db.SaveChangesAsync();
    }

    // Sorted: the tools of one turn are recorded with the same time.
    private static string ToolsCalled(IEnumerable<ConversationEvent> events) =>
        string.Join(",", events.Where(e => e.Type == ConversationEventType.ToolCalled).Select(e => e.Text).Order(StringComparer.Ordinal));

    /// <summary>The customer taps a row of a WhatsApp list (an interactive list_reply webhook).</summary>
    private async Task TapListRowAsync(TestCustomer customer, string id, string title)
    {
        var payload = JsonSerializer.Serialize(new
        {
            @object = "whatsapp_business_account",
            entry = new[]
            {
                new
                {
                    id = "WABA",
                    changes = new[]
                    {
                        new
                        {
                            field = "messages",
                            value = new
                            {
                                messaging_product = "whatsapp",
                                metadata = new { display_phone_number = "15550000000", phone_number_id = customer.PhoneNumberId },
                                contacts = new[] { new { profile = new { name = "Ana" }, wa_id = customer.WaId } },
                                messages = new[]
                                {
                                    new
                                    {
                                        from = customer.WaId, id = "wamid." + Guid.NewGuid().ToString("N"),
                                        timestamp = NextSecond.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), type = "interactive",
                                        interactive = new { type = "list_reply", list_reply = new { id, title } },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        });
        var response = await new WebhookClient(App.CreateClient()).PostMetaAsync("whatsapp", payload);
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Asking_for_an_appointment_tomorrow_offers_free_slots_as_a_WhatsApp_list_and_the_chosen_row_is_booked()
    {
        var customer = await CustomerAsync(("Citas y cancelaciones", "Puedes cancelar o cambiar tu cita sin costo hasta 24 horas antes."));
        await customer.SayAsync("Hola, quiero una cita mañana");

        var offer = (await WaitForSendsAsync(customer, 1)).Single();
        Assert.Equal("interactive", offer["type"]!.GetValue<string>());
        Assert.Equal("list", offer["interactive"]!["type"]!.GetValue<string>());
        var tomorrow = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Mexico).DateTime).AddDays(1);
        var body = Body(offer);
        Assert.StartsWith("¡Hola! Soy el asistente automático de ", body);
        Assert.Contains($"libres el {tomorrow.ToString("dddd d 'de' MMMM", CultureInfo.GetCultureInfo("es-MX"))}", body);
        Assert.DoesNotContain("cancelar", body); // the cancellation policy is not an answer to "I want an appointment"
        var rows = offer["interactive"]!["action"]!["sections"]![0]!["rows"]!.AsArray();
        Assert.Equal(10, rows.Count);
        Assert.Equal("09:00", rows[0]!["title"]!.GetValue<string>());

        await customer.WaitUntilSettledAsync();
        await TapListRowAsync(customer, rows[2]!["id"]!.GetValue<string>(), rows[2]!["title"]!.GetValue<string>());
        var confirmation = (await WaitForSendsAsync(customer, 2))[1];
        Assert.Equal("text", confirmation["type"]!.GetValue<string>());
        Assert.StartsWith("¡Listo! Tu cita quedó agendada el ", Body(confirmation));
        Assert.Contains("a las 10:00", Body(confirmation));
        Assert.DoesNotContain("asistente automático", Body(confirmation)); // the notice is said once per conversation

        await using var work = App.Scopes.ForTenant(customer.TenantId);
        var appointment = await work.Db.Appointments.AsNoTracking().SingleAsync();
        Assert.Equal(tomorrow.ToDateTime(new TimeOnly(10, 0)), TimeZoneInfo.ConvertTime(appointment.StartsAt, Mexico).DateTime);
        Assert.Equal("book_appointment,check_availability,send_options", ToolsCalled(await customer.EventsAsync()));
    }

    [Fact]
    public async Task An_English_customer_asking_for_an_afternoon_is_offered_afternoon_slots_and_books_by_number()
    {
        var customer = await CustomerAsync();
        await customer.SayAsync("Hi, can I book an appointment for tomorrow afternoon?");

        var offer = (await WaitForSendsAsync(customer, 1)).Single();
        var body = Body(offer);
        Assert.StartsWith("Hi! I'm the automatic assistant of ", body);
        Assert.Contains("from 12:00. Which one suits you?", body);
        Assert.Equal("Options", offer["interactive"]!["action"]!["button"]!.GetValue<string>());
        Assert.Equal("12:00", offer["interactive"]!["action"]!["sections"]![0]!["rows"]![0]!["title"]!.GetValue<string>());

        await customer.WaitUntilSettledAsync();
        await customer.SayAsync("2", sentAt: NextSecond);
        var confirmation = (await WaitForSendsAsync(customer, 2))[1];
        Assert.StartsWith("Done! Your appointment is booked for ", Body(confirmation));
        Assert.Contains("at 12:30", Body(confirmation));
    }

    [Fact]
    public async Task A_price_question_is_answered_with_the_one_matching_line_not_the_whole_price_list()
    {
        var customer = await CustomerAsync(("Servicios y precios",
            "Limpieza dental (profilaxis): $650 MXN, incluye revisión y diagnóstico.\n\n" +
            "Blanqueamiento dental en consultorio: $2,500 MXN por sesión.\n\n" +
            "Extracción simple: $900 MXN. Extracción de muela del juicio: desde $2,800 MXN."),
            ("Citas y cancelaciones", "Las citas duran 30 minutos. Puedes cancelar sin costo hasta 24 horas antes."));
        await customer.SayAsync("¿Cuánto cuesta el blanqueamiento?");

        var reply = (await WaitForSendsAsync(customer, 1)).Single();
        Assert.Equal("text", reply["type"]!.GetValue<string>());
        Assert.EndsWith("\n\nBlanqueamiento dental en consultorio: $2,500 MXN por sesión.", Body(reply));
        Assert.DoesNotContain("Limpieza", Body(reply));
        Assert.DoesNotContain("Extracción", Body(reply));
        var used = Assert.Single(await customer.EventsAsync(), e => e.Type == ConversationEventType.KnowledgeUsed);
        Assert.Equal("Servicios y precios", used.Text);
    }

    [Fact]
    public async Task Asking_to_pay_for_a_named_service_sends_a_payment_link_from_the_catalogue()
    {
        var customer = await CustomerAsync();
        await AddProductsAsync(customer, ("Limpieza dental", 650m), ("Blanqueamiento", 2500m));
        await customer.SayAsync("Quiero pagar la limpieza dental");

        var reply = (await WaitForSendsAsync(customer, 1)).Single();
        var body = Body(reply);
        Assert.Contains("Aquí tienes tu enlace de pago:\nLimpieza dental: 650 MXN\n", body);
        Assert.Matches("/pay/[0-9a-f-]{36}", body);
        await using var work = App.Scopes.ForTenant(customer.TenantId);
        var link = await work.Db.PaymentLinks.AsNoTracking().SingleAsync();
        Assert.Equal(650m, link.Amount);
        Assert.Equal("send_payment_link", ToolsCalled(await customer.EventsAsync()));
    }

    [Fact]
    public async Task An_English_customer_who_does_not_name_a_product_chooses_one_and_gets_its_link()
    {
        var customer = await CustomerAsync();
        await AddProductsAsync(customer, ("Limpieza dental", 650m), ("Blanqueamiento", 2500m));
        await customer.SayAsync("Hi, can you send me a payment link please?");

        var offer = (await WaitForSendsAsync(customer, 1)).Single();
        Assert.Equal("button", offer["interactive"]!["type"]!.GetValue<string>());
        Assert.Contains("What would you like to pay for?", Body(offer));

        await customer.WaitUntilSettledAsync();
        await customer.SayAsync("Blanqueamiento", sentAt: NextSecond);
        var link = (await WaitForSendsAsync(customer, 2))[1];
        Assert.StartsWith("Here is your payment link:\nBlanqueamiento: 2500 MXN\n", Body(link));
    }

    [Fact]
    public async Task Asking_for_a_person_hands_off_and_the_bot_stays_quiet_afterwards()
    {
        var customer = await CustomerAsync();
        await customer.SayAsync("Quiero hablar con una persona, por favor");

        var reply = (await WaitForSendsAsync(customer, 1)).Single();
        Assert.Contains("Paso tu conversación a una persona de nuestro equipo", Body(reply));
        var conversation = await customer.ConversationAsync();
        Assert.Equal(ConversationOwner.Unassigned, conversation.Owner);
        Assert.Equal(HandoffReason.UserRequested, conversation.HandoffReason);
        Assert.Equal("escalate_to_human", ToolsCalled(await customer.EventsAsync()));

        await customer.SayAsync("¿Hola?", sentAt: NextSecond);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(customer.TenantId);
            return await work.Db.Messages.CountAsync(m => m.Sender == MessageSender.Contact) == 2;
        }, "the second customer message to be stored");
        await customer.WaitUntilSettledAsync();
        Assert.Single(await customer.BotMessagesAsync());
    }

    [Fact]
    public async Task Something_the_agent_cannot_answer_gets_a_short_fallback_with_the_options_as_buttons()
    {
        var customer = await CustomerAsync();
        await customer.SayAsync("¿Tienen estacionamiento para bicicletas marcianas?");

        var reply = (await WaitForSendsAsync(customer, 1)).Single();
        Assert.Equal("button", reply["interactive"]!["type"]!.GetValue<string>());
        var buttons = reply["interactive"]!["action"]!["buttons"]!.AsArray().Select(b => b!["reply"]!["title"]!.GetValue<string>()).ToList();
        Assert.Equal(["Agendar una cita", "Ver precios", "Hablar con persona"], buttons);
        Assert.True(Body(reply).Length < 200, Body(reply));

        // Tapping "Agendar una cita" is an appointment request like any other.
        await customer.WaitUntilSettledAsync();
        await customer.SayAsync("Agendar una cita", sentAt: NextSecond);
        var offer = (await WaitForSendsAsync(customer, 2))[1];
        Assert.Equal("interactive", offer["type"]!.GetValue<string>()); // a list, or buttons late in the day with few slots left
        Assert.Contains("¿Cuál te queda mejor?", Body(offer));
        Assert.DoesNotContain("asistente automático", Body(offer));
    }

    [Fact]
    public async Task Without_a_model_the_summary_names_the_service_the_stage_and_the_open_question_and_the_suggestion_answers_it()
    {
        var customer = await CustomerAsync(("Formas de pago",
            "Aceptamos efectivo, tarjetas de débito y crédito, y transferencia.\n\nCon tarjetas participantes hay meses sin intereses."));
        await AddProductsAsync(customer, ("Blanqueamiento", 2500m), ("Limpieza dental", 650m));
        await customer.SayAsync("Hola, me interesa el blanqueamiento. Quiero hablar con una persona");
        await WaitForSendsAsync(customer, 1); // handed off: the next question waits for a person
        await customer.SayAsync("¿Aceptan tarjeta de crédito?", sentAt: NextSecond);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(customer.TenantId);
            return await work.Db.Messages.CountAsync(m => m.Sender == MessageSender.Contact) == 2;
        }, "the open question to be stored");
        var conversationId = (await customer.ConversationAsync()).Id;

        var copilot = App.Services.GetRequiredService<OperatorConsole.Infrastructure.Agent.Copilot>();
        var summary = await copilot.SummarizeAsync(customer.TenantId, conversationId, default);
        Assert.Equal("Busca: Blanqueamiento; hablar con una persona · Etapa: Nuevo · Pendiente: «¿Aceptan tarjeta de crédito?»", summary);
        var suggestion = await copilot.SuggestReplyAsync(customer.TenantId, conversationId, default);
        Assert.Equal("Aceptamos efectivo, tarjetas de débito y crédito, y transferencia.", suggestion);

        // The lead analysis runs by the same rules: the stage moves on (the bot answered) and the lead gets its summary.
        await using (var work = App.Scopes.ForTenant(customer.TenantId))
        {
            var profile = await App.Services.GetRequiredService<OperatorConsole.Infrastructure.Agent.AgentProfiles>().GetLiveAsync(work.Db, customer.TenantId, default);
            await App.Services.GetRequiredService<OperatorConsole.Infrastructure.Agent.LeadAnalyzer>().AnalyzeAsync(customer.TenantId, conversationId, profile, default);
        }
        await using (var work = App.Scopes.ForTenant(customer.TenantId))
        {
            var contact = await work.Db.Contacts.AsNoTracking().SingleAsync();
            Assert.Equal("Contactado", await work.Db.PipelineStages.Where(s => s.Id == contact.StageId).Select(s => s.Name).SingleAsync());
            Assert.Equal("Busca: Blanqueamiento; hablar con una persona · Etapa: Contactado · Pendiente: «¿Aceptan tarjeta de crédito?»", contact.Summary);
            Assert.Equal(60, contact.Score); // interested +10
        }
    }
}
