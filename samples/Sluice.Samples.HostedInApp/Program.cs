using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Sluice.Samples.HostedInApp;
using Sluice.Server.Auth;

var builder = WebApplication.CreateBuilder(args);

// The app as it was before Sluice: its own database access, its own JWT authentication, its own endpoints.
var connectionString = builder.Configuration.GetConnectionString("Notes")
    ?? throw new InvalidOperationException("Set ConnectionStrings:Notes (appsettings.Development.json, or ConnectionStrings__Notes).");
var jwtSecret = builder.Configuration["Jwt:Secret"]
    ?? throw new InvalidOperationException("Set Jwt:Secret (at least 32 bytes).");
builder.Services.AddKeyedSingleton(Notes.DataSourceKey, (_, _) => NpgsqlDataSource.Create(connectionString));
builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
{
    jwt.MapInboundClaims = false; // keep "sub" and "role" as they are in the token
    jwt.TokenValidationParameters = new TokenValidationParameters
    {
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwtSecret)),
        ValidateIssuer = false,
        ValidateAudience = false,
    };
});
builder.Services.AddAuthorizationBuilder()
    .AddPolicy("operators", policy => policy.RequireClaim("ops", "true"));

// Sluice: the same database, the same tokens (Sluice checks them on its WebSocket; row-level security decides what each user sees).
builder.Services.AddSluice(sluice => sluice.Database = connectionString);
builder.Services.Configure<AuthOptions>(auth => auth.JwtSecret = jwtSecret);
builder.Services.AddHostedService<NotesSchema>(); // after AddSluice: runs once Sluice has prepared the database

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/api/notes", Notes.ListAsync).RequireAuthorization();
app.MapPost("/api/notes", Notes.CreateAsync).RequireAuthorization();
if (app.Environment.IsDevelopment())
    app.MapPost("/dev/token", (string user) => Notes.DevelopmentToken(user, jwtSecret)); // sign in, the short way

app.MapSluiceRealtime();                                          // ws://…/realtime?token=…: live changes of the user's notes
app.MapSluiceObservability().RequireAuthorization("operators");   // health, stats and metrics: operators only

app.Run();
