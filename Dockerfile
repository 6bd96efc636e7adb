# One image for every role: `partnerpulse migrate`, `serve` and `worker` (see docker-compose.yml).
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 partnerpulse
WORKDIR /app

COPY pyproject.toml README.md ./
COPY api ./api
COPY schema ./schema
COPY domain ./domain
COPY workers ./workers
COPY db ./db
COPY partnerpulse ./partnerpulse
RUN pip install .

USER partnerpulse
ENV PARTNERPULSE_HOST=0.0.0.0 \
    PARTNERPULSE_PORT=8000
EXPOSE 8000
ENTRYPOINT ["partnerpulse"]
CMD ["serve"]
