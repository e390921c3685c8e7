FROM python:3.13-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY requirements requirements
# Exactly what the tests ran against: the hash-checked lock (scripts/lock), then the project itself.
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt
COPY ce_portal ce_portal
COPY records records
COPY audits audits
COPY platforms platforms
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir --no-deps -e .
ENV STATIC_ROOT=/app/staticfiles
