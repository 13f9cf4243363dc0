"""Bucket administration for `wopr publish`: S3's naming rules, and creating a bucket, public read, website, CORS."""
import hashlib
import json
import re

from .s3 import found

# S3's rules for general purpose bucket names, each with the words that name it; a name breaking one is refused
# before anything is sent (an endpoint answers such a name with a misleading "no such bucket")
NAME_RULES = [
    ('3 to 63 characters long', lambda name: 3 <= len(name) <= 63),
    ('made of lowercase letters, digits, dots and hyphens only', lambda name: re.fullmatch('[a-z0-9.-]*', name)),
    ('beginning and ending with a letter or digit', lambda name: re.fullmatch('[a-z0-9](.*[a-z0-9])?', name)),
    ('with no two dots in a row', lambda name: '..' not in name),
    ('not shaped like an IP address (192.168.5.4)', lambda name: not re.fullmatch(r'\d+(\.\d+){3}', name)),
    ('not starting with xn--, sthree- or amzn-s3-demo- (reserved)',
     lambda name: not name.startswith(('xn--', 'sthree-', 'amzn-s3-demo-'))),
    ('not ending with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3 (reserved)',
     lambda name: not name.endswith(('-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'))),
]


def check_name(bucket):
    """Refuse a bucket name S3 refuses, saying the rule it breaks."""
    for rule, holds in NAME_RULES:
        if not holds(bucket):
            raise ValueError(f'invalid bucket name {bucket!r}: S3 takes bucket names {rule}')


def bucket_region(s3, bucket):
    """The bucket's region, or None when it does not exist."""
    response = found(s3.head_bucket, Bucket=bucket)
    return response and (response.get('BucketRegion') or s3.meta.region_name or 'us-east-1')


def create_bucket(s3, bucket, region):
    extra = {} if region == 'us-east-1' else {'CreateBucketConfiguration': {'LocationConstraint': region}}
    s3.create_bucket(Bucket=bucket, **extra)


def make_public(s3, bucket, prefix, region):
    """Turn off Block Public Access and let anyone GetObject under the prefix (other policy statements kept)."""
    partition = 'aws-cn' if region.startswith('cn-') else 'aws-us-gov' if region.startswith('us-gov-') else 'aws'
    sid = 'WoprPublicRead' + hashlib.sha256(prefix.encode()).hexdigest()[:12]
    statement = {'Sid': sid, 'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
                 'Resource': f'arn:{partition}:s3:::{bucket}/{prefix + "/" if prefix else ""}*'}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        'BlockPublicAcls': False, 'IgnorePublicAcls': False, 'BlockPublicPolicy': False,
        'RestrictPublicBuckets': False})
    current = found(s3.get_bucket_policy, Bucket=bucket)
    policy = json.loads(current['Policy']) if current else {'Version': '2012-10-17', 'Statement': []}
    policy['Statement'] = [s for s in policy.get('Statement', []) if s.get('Sid') != sid] + [statement]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def set_website(s3, bucket):
    """Serve index.html for folder URLs on the website endpoint (an existing error page or routing kept)."""
    config = found(s3.get_bucket_website, Bucket=bucket) or {}
    config = {k: v for k, v in config.items() if k in ('ErrorDocument', 'RoutingRules')}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={**config, 'IndexDocument': {'Suffix': 'index.html'}})


def set_cors(s3, bucket, origins):
    """Let pages on `origins` GET/HEAD objects; our rule has ID 'wopr', other rules are kept."""
    rules = (found(s3.get_bucket_cors, Bucket=bucket) or {}).get('CORSRules', [])
    rule = {'ID': 'wopr', 'AllowedOrigins': list(origins), 'AllowedMethods': ['GET', 'HEAD'],
            'AllowedHeaders': ['*'], 'ExposeHeaders': ['ETag', 'Content-Length'], 'MaxAgeSeconds': 3600}
    rules = [r for r in rules if r.get('ID') != 'wopr'] + [rule]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={'CORSRules': rules})
