# Fileflow's CLI on the official Node image, installed from the tarball that `npm pack` makes
# (docs/install.md), watching the volume /data with the HTTP API and dashboard on port 8000:
#   npm ci && npm pack && docker build -t fileflow .
#   docker run -d --name fileflow -p 127.0.0.1:8000:8000 -v "$PWD/queue:/data" fileflow
#   docker logs fileflow     # the dashboard link, with its token (also in queue/.fileflow/http-token)
# Every step below is run by test/unit/install.test.ts (Docker itself cannot run on our build machines).
FROM node:22-bookworm-slim
COPY fileflow-*.tgz /tmp/fileflow/
RUN npm install --global --no-audit --no-fund /tmp/fileflow/fileflow-*.tgz && rm -rf /tmp/fileflow && fileflow --version
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:8000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["fileflow", "watch", "/data", "--http", "0.0.0.0:8000"]
