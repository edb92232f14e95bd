#!/usr/bin/env python3
# Builds resources/common-passwords.txt: well-known common passwords and the usual variations of
# common words (suffix digits, years, "!"), lower-cased, 8 characters or more (shorter ones are
# refused by length anyway). Run by hand: python3 scripts/common-passwords.py
import itertools, pathlib

literal = """123456789 1234567890 12345678 11111111 00000000 87654321 88888888 99999999 12341234 11223344
123123123 123321123 147258369 159753456 987654321 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y qwertyuiop qwerty123
qwerty1234 qwertyui asdfghjkl asdfasdf zxcvbnm1 zxcvbnm123 1qaz2wsx 1qaz2wsx3edc qazwsxedc zaq12wsx
q1w2e3r4 q1w2e3r4t5 a1b2c3d4 abcd1234 abc12345 abcdefgh aaaaaaaa passw0rd p@ssw0rd p@ssword pa$$word
password password1 password12 password123 password1234 passwort passwort1 iloveyou iloveyou1 iloveyou2
letmein1 letmein123 welcome1 welcome123 welcome2 trustno1 sunshine1 princess1 football1 baseball1
superman batman123 starwars starwars1 whatever whatever1 computer computer1 internet michelle jennifer
jessica1 danielle charlie1 corvette mercedes ferrari1 mustang1 playboy1 blink182 liverpool chelsea1
arsenal1 manchester barcelona juventus qwerty12 monkey12 dragon12 master12 shadow12 access14 changeme
changeme1 administrator admin123 admin1234 adminadmin root1234 toor1234 guest123 default1 secret12
secret123 letmein! welcome! samsung1 hello123 hellohello loveyou1 lovelove 1234qwer qwer1234 asdf1234
zxcv1234 1234abcd abc123456 a123456789 aa123456 aa12345678 asd12345 qwe12345 qweasdzxc qweasd123
1234567a 12345678a 123456789a 123456789q 1234567q 7777777a 11111111a football baseball basketball
sunshine princess dragon99 monkey123 shadow123 master123 michael1 jordan23 superman1 spiderman
pokemon1 minecraft minecraft1 fortnite1 roblox123 naruto123 iloveu123 family123 freedom1 jesus123
blessed1 forever1 flower123 butterfly chocolate cookie123 pepper123 ginger123 summer123 winter123
spring123 autumn123 december november october1 september august123 january1 february monday123
friday123 password! password1! Password1 Password123 Welcome1 Welcome123 Summer2024 Winter2024
"""

words = """password passwort welcome letmein sunshine princess football baseball monkey dragon master shadow
michael jordan superman batman iloveyou trustno1 qwerty abc123 admin login hello freedom whatever
starwars computer internet charlie maggie ginger pepper cookie summer winter spring autumn secret
killer hunter ranger soccer hockey tigger jennifer michelle jessica daniel thomas andrew joshua
matthew robert william george family flower angel lovely friend forever blessed jesus christ heaven
samsung google apple iphone android windows microsoft linux ubuntu changeme default guest root
access money banana orange purple yellow silver golden diamond crystal rainbow chicken pizza coffee
london berlin paris madrid america canada germany france england mexico brazil india china russia
liverpool chelsea arsenal barcelona madrid juventus lakers yankees cowboys steelers eagles patriots
pokemon naruto minecraft fortnite roblox gaming gamer player matrix hacker ninja pirate zombie
company office manager server database network security system service support student teacher
school college doctor nurse mother father sister brother baby honey sweet sugar kitty puppy doggie
"""

suffixes = ['', '1', '12', '123', '1234', '12345', '123456', '!', '1!', '123!', '01', '007', '69', '99', '00', '11', '22', '777', '2000']
suffixes += [str(y) for y in range(1990, 2031)]
entries = set(w.lower() for w in literal.split())
for word, suffix in itertools.product(set(words.split()), suffixes):
    entries.add((word + suffix).lower())
for word in set(words.split()):
    entries.add((word + word).lower())
    entries.add(word.replace('a', '@').replace('o', '0').replace('s', '$').lower() + '1')
keep = sorted(e for e in entries if len(e) >= 8)
out = pathlib.Path(__file__).resolve().parent.parent / 'resources' / 'common-passwords.txt'
out.write_text('\n'.join(keep) + '\n')
print(f'{len(keep)} entries written to {out}')
