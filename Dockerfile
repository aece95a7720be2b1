# The image the Helm chart runs (charts/mesh-orleans): the Silo project, which runs silos
# (--role silo) and frontends (--role frontend). Build: docker build -t mesh-orleans:0.1.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Silo/Silo.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
USER app
EXPOSE 15010 15014 11111 30000
ENTRYPOINT ["dotnet", "Mesh.Orleans.Silo.dll"]
